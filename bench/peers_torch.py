#!/usr/bin/env python3
"""PyTorch side of npm run bench:peers: the same workloads on the CPU at the
same thread count, from the weights and inputs bench/peers.js writes.
bench/peers.js keeps one process a thread count and sends it one workload
at a time, in rounds with the other runners; each inference workload's
output is written once, for the correctness check."""
import json
import struct
import sys
import time

import numpy as np
import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        b = f.read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8 : 8 + n])
    out = {}
    for k, v in h.items():
        if k == "__metadata__":
            continue
        s, e = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(b[8 + n + s : 8 + n + e], dtype=np.float32).reshape(v["shape"]).copy())
    return out


def timeit(fn, min_time):
    fn()
    samples = []
    start = time.perf_counter()
    while time.perf_counter() - start < min_time or len(samples) < 5:
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    samples.sort()
    return samples


def prepare(w):
    """The workload's timed function (a model of its weights and input)."""
    t = read_safetensors(w["file"])
    cls = torch.nn.LSTM if w["cell"] == "LSTM" else torch.nn.GRU
    m = cls(w["I"], w["H"], num_layers=w["layers"], bidirectional=w["bidirectional"])
    m.load_state_dict({k[6:]: v for k, v in t.items() if k.startswith("param.")})
    x = t["x"]
    if w["kind"] == "infer":
        with torch.no_grad():
            m(x)[0].numpy().astype(np.float32).tofile(w["file"] + ".torch.bin")

        def infer():
            with torch.no_grad():
                m(x)

        return infer
    if w["kind"] == "train":
        head = torch.nn.Linear(w["H"], 1)
        opt = torch.optim.Adam(list(m.parameters()) + list(head.parameters()), lr=1e-3)
        target = torch.zeros(x.shape[1], 1)

        def step():
            opt.zero_grad()
            out, _ = m(x)
            loss = torch.nn.functional.mse_loss(head(out[-1]), target)
            loss.backward()
            opt.step()

        return step
    # streaming step, batch 1
    state = [None]
    xt = x[:1]

    def one():
        with torch.no_grad():
            _, state[0] = m(xt, state[0])

    return one


def main():
    """Serves rounds: `--threads N` once, then one JSON job a line on stdin
    ({"workload": {...}, "minTime": s}), one JSON line of sorted samples
    (seconds) back; the first line out says which torch this is."""
    torch.set_num_threads(int(sys.argv[sys.argv.index("--threads") + 1]))
    print(json.dumps({"torch": torch.__version__}), flush=True)
    ready = {}
    for line in sys.stdin:
        job = json.loads(line)
        w = job["workload"]
        if w["id"] not in ready:
            ready[w["id"]] = prepare(w)
        print(json.dumps({"samples": timeit(ready[w["id"]], job["minTime"])}), flush=True)


if __name__ == "__main__":
    main()
