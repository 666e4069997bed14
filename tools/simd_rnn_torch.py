"""simd-rnn model files in PyTorch, and back. One file; needs only torch.

A simd-rnn `Sequential` saved with `io.save` / `io.saveFile` (format
"simd-rnn/sequential") becomes the equivalent `torch.nn.Module`, with the same
parameter names (`layers.{i}.weight_ih_l0`, ...), and a module built or
trained here is written back to a file that simd-rnn's `io.load` reads.

    import simd_rnn_torch as sr
    model = sr.load("model.safetensors")        # an sr.Sequential, in eval mode
    y = model(x, lengths)                       # the outputs of simd-rnn's predict
    sr.save(model, "model.safetensors")         # io.load reads it

    fresh = sr.Sequential({"output": "last", "layers": [
        {"type": "LSTM", "inputSize": 8, "hiddenSize": 32, "numLayers": 2, "bidirectional": True},
        {"type": "Linear", "inFeatures": 64, "outFeatures": 1}]})

Inputs and outputs follow simd-rnn's Sequential.predict:
  x        float [N, T, F] (batch first); for a model whose first layer is an
           Embedding, token ids [N, T] (or [N, T, 1]).
  lengths  optional, [N] valid steps per sequence (later steps are padding).
  returns  [N, outputs] for output "last" and "mean", [N, T, outputs] for
           "all" (zero at padding steps).
Recurrent layers follow PyTorch's packed-sequence semantics: padding steps
emit zeros and carry the state, and the reverse direction starts at each
sequence's last valid step. Plain LSTM, GRU and RNN layers are torch.nn.LSTM /
GRU / RNN (fast, and their state dicts load into those classes); residual
stacks and layer-normalized cells, which PyTorch has no module for, run a
step loop here with the equations of simd-rnn's README. Dropout applies in
training mode only; `recurrentDropout` is simd-rnn's training option and is
not applied here.

Run as a script, it describes a file:  python3 simd_rnn_torch.py model.safetensors
"""
import json
import struct
import sys
import zlib

import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

FORMAT = "simd-rnn/sequential"
FORMAT_VERSION = "2"
CRC_PLACEHOLDER = "00000000"
LN_EPS = 1e-5

_DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16,
           "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8}


# ---- safetensors, by hand (no dependency) ----

def read_safetensors(path):
    """(tensors, metadata) of a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    body = data[8 + n:]
    tensors = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        dt = _DTYPES[e["dtype"]]
        t = torch.frombuffer(bytearray(body[a:b]), dtype=dt) if b > a else torch.empty(0, dtype=dt)
        tensors[name] = t.reshape(e["shape"]).clone()
    return tensors, meta


def write_safetensors(path, tensors, metadata, crc=False):
    """Writes F32 tensors; with crc, the whole-file CRC-32 simd-rnn checks (format version 2)."""
    meta = dict(metadata)
    if crc:
        meta["crc32"] = CRC_PLACEHOLDER
    header, blobs, offset = {"__metadata__": meta}, [], 0
    for name, t in tensors.items():
        raw = t.detach().to(torch.float32).contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    out = bytearray(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    if crc:
        # The CRC covers the whole file with its own 8 digits read as the placeholder.
        pat = b'"crc32":"' + CRC_PLACEHOLDER.encode() + b'"'
        at = out.find(pat, 8, 8 + len(h))
        assert at >= 0 and out.find(pat, at + 1, 8 + len(h)) < 0
        digits = "%08x" % (zlib.crc32(bytes(out)) & 0xFFFFFFFF)
        out[at + 9:at + 17] = digits.encode()
    with open(path, "wb") as f:
        f.write(out)


# ---- layers ----

def _cell_of(c):
    t = c["type"]
    if t == "RNN":
        return "RNN_RELU" if c.get("nonlinearity", "tanh") == "relu" else "RNN_TANH"
    return ("LN_" if c.get("layerNorm") else "") + t


class Recurrent(torch.nn.Module):
    """A stacked, optionally bidirectional, residual or layer-normalized
    recurrent layer with simd-rnn's (PyTorch's) parameter names, run by a
    step loop (for what torch.nn.LSTM/GRU/RNN cannot express)."""

    def __init__(self, c):
        super().__init__()
        self.cell = _cell_of(c)
        self.I, self.H, self.L = c["inputSize"], c["hiddenSize"], c.get("numLayers", 1)
        self.D = 2 if c.get("bidirectional") else 1
        self.bias, self.residual, self.p = c.get("bias", True), c.get("residual", False), c.get("dropout", 0.0)
        gates = {"LSTM": 4, "LN_LSTM": 4, "GRU": 3, "LN_GRU": 3}.get(self.cell, 1)
        G, k = gates * self.H, 1 / self.H ** 0.5
        for l in range(self.L):
            for d in range(self.D):
                s = "l%d%s" % (l, "_reverse" if d else "")
                u = lambda *shape: torch.nn.Parameter(torch.empty(*shape).uniform_(-k, k))
                self.register_parameter("weight_ih_" + s, u(G, self.I if l == 0 else self.D * self.H))
                self.register_parameter("weight_hh_" + s, u(G, self.H))
                if self.bias:
                    self.register_parameter("bias_ih_" + s, u(G))
                    self.register_parameter("bias_hh_" + s, u(G))
                if self.cell.startswith("LN_"):
                    norms = [("ln_ih", G), ("ln_hh", G)] + ([("ln_c", self.H)] if self.cell == "LN_LSTM" else [])
                    for name, n in norms:
                        self.register_parameter(name + "_weight_" + s, torch.nn.Parameter(torch.ones(n)))
                        self.register_parameter(name + "_bias_" + s, torch.nn.Parameter(torch.zeros(n)))

    @property
    def bidirectional(self):
        return self.D == 2

    def _p(self, name, s):
        return getattr(self, name + "_" + s, None)

    def _ln(self, v, name, s):
        return F.layer_norm(v, (v.shape[-1],), self._p(name + "_weight", s), self._p(name + "_bias", s), LN_EPS)

    def _step(self, s, x, h, c):
        H, ln = self.H, self.cell.startswith("LN_")
        gx = x @ self._p("weight_ih", s).t()
        gh = h @ self._p("weight_hh", s).t()
        if ln:
            gx, gh = self._ln(gx, "ln_ih", s), self._ln(gh, "ln_hh", s)
        if self.bias:
            gx, gh = gx + self._p("bias_ih", s), gh + self._p("bias_hh", s)
        if self.cell in ("LSTM", "LN_LSTM"):
            i, f, g, o = (gx + gh).split(H, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            return torch.sigmoid(o) * torch.tanh(self._ln(c, "ln_c", s) if ln else c), c
        if self.cell in ("GRU", "LN_GRU"):
            xr, xz, xn = gx.split(H, 1)
            hr, hz, hn = gh.split(H, 1)
            r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
            n = torch.tanh(xn + r * hn)
            return (1 - z) * n + z * h, c
        a = gx + gh
        return (torch.relu(a) if self.cell == "RNN_RELU" else torch.tanh(a)), c

    def forward(self, x, lengths):
        N, T, _ = x.shape
        valid = (torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)).unsqueeze(2)  # [N, T, 1]
        inp, finals = x, []
        for l in range(self.L):
            outs = []
            for d in range(self.D):
                s = "l%d%s" % (l, "_reverse" if d else "")
                h = x.new_zeros(N, self.H)
                c = x.new_zeros(N, self.H)
                out = [None] * T
                for step in range(T):
                    t = T - 1 - step if d else step
                    v = valid[:, t]
                    h2, c2 = self._step(s, inp[:, t], h, c)
                    h, c = torch.where(v, h2, h), torch.where(v, c2, c)
                    out[t] = torch.where(v, h2, torch.zeros_like(h2))
                outs.append(torch.stack(out, 1))
                finals.append(h)
            y = torch.cat(outs, 2)
            if self.residual and l > 0:
                y = y + inp
            if l < self.L - 1 and self.p > 0:
                y = F.dropout(y, self.p, self.training)
            inp = y
        return inp, torch.stack(finals)


def _torch_rnn(c):
    """torch.nn.LSTM / GRU / RNN (batch first) for a plain layer: same names, same math."""
    kw = dict(input_size=c["inputSize"], hidden_size=c["hiddenSize"], num_layers=c.get("numLayers", 1),
              bias=c.get("bias", True), batch_first=True, dropout=c.get("dropout", 0.0),
              bidirectional=c.get("bidirectional", False))
    if c["type"] == "LSTM":
        return torch.nn.LSTM(**kw)
    if c["type"] == "GRU":
        return torch.nn.GRU(**kw)
    return torch.nn.RNN(nonlinearity=c.get("nonlinearity", "tanh"), **kw)


class Dense(torch.nn.Linear):
    """simd-rnn's Linear: y = act(x Wᵀ + b), act none | tanh | relu | sigmoid."""

    def __init__(self, c):
        super().__init__(c["inFeatures"], c["outFeatures"], bias=c.get("bias", True))
        self.activation = c.get("activation", "none")

    def forward(self, x):
        y = super().forward(x)
        return {"none": lambda v: v, "tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[self.activation](y)


def _recurrent(layer, x, lengths):
    """(outputs [N, T, D·H] zero at padding, final states [L·D, N, H]) of a recurrent layer."""
    if isinstance(layer, Recurrent):
        return layer(x, lengths)
    N, T, _ = x.shape
    if bool((lengths == T).all()):
        out, h = layer(x)
    else:
        # Packing needs lengths ≥ 1: an empty sequence runs as one step and is zeroed after.
        packed = pack_padded_sequence(x, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False)
        out, h = layer(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
        empty = lengths == 0
        if bool(empty.any()):
            out = out.masked_fill(empty.view(N, 1, 1), 0)
            h = h[0] if isinstance(h, tuple) else h
            h = h.masked_fill(empty.view(1, N, 1), 0)
    return out, (h[0] if isinstance(h, tuple) else h)


class Sequential(torch.nn.Module):
    """The torch.nn.Module of a simd-rnn Sequential's architecture
    ({"output": "last" | "mean" | "all", "layers": [layer configs]}, the
    "architecture" metadata of its file): state-dict names `layers.{i}.…`."""

    def __init__(self, architecture):
        super().__init__()
        self.architecture = json.loads(json.dumps(architecture))
        self.output = architecture.get("output", "last")
        if self.output not in ("last", "mean", "all"):
            raise ValueError('output is %r, expected "last", "mean" or "all"' % (self.output,))
        mods = []
        for i, c in enumerate(architecture["layers"]):
            t = c.get("type")
            if t in ("LSTM", "GRU", "RNN"):
                mods.append(Recurrent(c) if c.get("residual") or c.get("layerNorm") else _torch_rnn(c))
            elif t == "Linear":
                mods.append(Dense(c))
            elif t == "Embedding":
                if i != 0:
                    raise ValueError("layer %d: an Embedding must be the first layer" % i)
                mods.append(torch.nn.Embedding(c["numEmbeddings"], c["embeddingDim"], padding_idx=c.get("paddingIdx")))
            elif t == "Dropout":
                mods.append(torch.nn.Dropout(c["p"]))
            else:
                raise ValueError("layer %d has unknown type %r" % (i, t))
        self.layers = torch.nn.ModuleList(mods)
        rec = [i for i, c in enumerate(architecture["layers"]) if c["type"] in ("LSTM", "GRU", "RNN")]
        if not rec:
            raise ValueError("a Sequential needs a recurrent layer")
        self.last_rec = rec[-1]

    def forward(self, x, lengths=None):
        if isinstance(self.layers[0], torch.nn.Embedding):
            ids = x.reshape(x.shape[0], x.shape[1]).long()
            N, T = ids.shape
            h = self.layers[0](ids)
            start = 1
        else:
            N, T = x.shape[0], x.shape[1]
            h, start = x.float(), 0
        lengths = torch.full((N,), T, dtype=torch.long) if lengths is None else torch.as_tensor(lengths, dtype=torch.long)
        finals = None
        for i in range(start, self.last_rec + 1):
            layer = self.layers[i]
            if isinstance(layer, (Recurrent, torch.nn.RNNBase)):
                h, finals = _recurrent(layer, h, lengths)
            else:
                h = layer(h)
        valid = (torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)).unsqueeze(2).to(h.dtype)
        top = self.layers[self.last_rec]
        if self.output == "last":
            D = 2 if top.bidirectional else 1
            h = torch.cat([finals[finals.shape[0] - D + d] for d in range(D)], 1)
        elif self.output == "mean":
            h = (h * valid).sum(1) / lengths.clamp(min=1).unsqueeze(1).to(h.dtype)
        for layer in self.layers[self.last_rec + 1:]:
            h = layer(h)
        if self.output == "all":
            h = h * valid  # zero at padding steps, as simd-rnn's predict
        return h


def load(path):
    """A simd-rnn model file as an sr.Sequential in eval mode."""
    tensors, meta = read_safetensors(path)
    fmt = meta.get("format")
    if fmt != FORMAT:
        raise ValueError("%s: format is %r, expected %r (a simd-rnn Sequential's file; Seq2Seq files are not supported here)" % (path, fmt, FORMAT))
    if meta.get("formatVersion") == FORMAT_VERSION:
        at = None
        with open(path, "rb") as f:
            raw = bytearray(f.read())
        digits = meta.get("crc32", "")
        at = raw.find(b'"crc32":"' + digits.encode() + b'"')
        if at >= 0:
            raw[at + 9:at + 17] = CRC_PLACEHOLDER.encode()
        if at < 0 or "%08x" % (zlib.crc32(bytes(raw)) & 0xFFFFFFFF) != digits:
            raise ValueError("%s: checksum mismatch: the file is corrupted" % path)
    if meta.get("quantized") == "int8":
        # An int8 file (simd-rnn quantize): each I8 matrix times its row scales is the f32 weight (zero point 0).
        # For int8 modules again: torch.ao.quantization.quantize_dynamic(model, {nn.LSTM, nn.GRU, nn.Linear}, dtype=torch.qint8).
        for k in [k for k in tensors if k.endswith(".scale")]:
            w = k[: -len(".scale")]
            tensors[w] = tensors[w].float() * tensors.pop(k).float()[:, None]
    model = Sequential(json.loads(meta["architecture"]))
    model.load_state_dict({k: v.float() for k, v in tensors.items()}, strict=True)
    return model.eval()


def save(model, path, metadata=None):
    """Writes an sr.Sequential as a simd-rnn model file (format 2, with its CRC): io.load reads it."""
    if not isinstance(model, Sequential):
        raise TypeError("model is %s, expected an sr.Sequential (build one from an architecture and load_state_dict your weights)" % type(model).__name__)
    meta = dict(metadata or {})
    meta.update(format=FORMAT, formatVersion=FORMAT_VERSION, architecture=json.dumps(model.architecture, separators=(",", ":")))
    write_safetensors(path, model.state_dict(), meta, crc=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python3 simd_rnn_torch.py MODEL.safetensors", file=sys.stderr)
        sys.exit(2)
    m = load(sys.argv[1])
    print(m)
    print("parameters:", sum(p.numel() for p in m.parameters()))
