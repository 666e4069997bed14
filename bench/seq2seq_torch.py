#!/usr/bin/env python3
"""PyTorch side of npm run bench:seq2seq: the reference Seq2Seq of the parity
fixtures (test/fixtures/make_seq2seq_fixtures.py) with simd-rnn's weights, at
one thread: a training step (Adam), batched greedy decoding, and batched beam
search (every beam of every source one row of the decoder, the bookkeeping
of simd-rnn's algorithm per source). Reads a JSON job on stdin; prints JSON."""
import importlib.util
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("fx", os.path.join(HERE, "..", "test", "fixtures", "make_seq2seq_fixtures.py"))
sys.path.insert(0, os.path.join(HERE, "..", "test", "fixtures"))
fx = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fx)
PAD, BOS, EOS = 0, 1, 2


def read_safetensors(path):
    with open(path, "rb") as f:
        b = f.read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    return {k: torch.from_numpy(np.frombuffer(b[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]], dtype=np.float32).reshape(v["shape"]).copy())
            for k, v in h.items() if k != "__metadata__"}


def timeit(fn, min_time):
    fn()
    samples, start = [], time.perf_counter()
    while time.perf_counter() - start < min_time or len(samples) < 3:
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    samples.sort()
    return samples[len(samples) // 2]


def greedy(m, src, max_len):
    lens = [int((row != PAD).sum()) for row in src]
    keys, mask, h0 = m.encode(src, lens)
    B = src.shape[0]
    state, feed = m.init_state(h0), torch.zeros(B, m.Hd)
    tok, out, done = torch.full((B,), BOS, dtype=torch.long), [[] for _ in range(B)], [False] * B
    for _ in range(max_len):
        logp, _, h, state, _ = m.step(tok, feed, state, keys, mask)
        logp[:, PAD] = -math.inf
        logp[:, BOS] = -math.inf
        tok, feed = logp.argmax(1), h
        for b in range(B):
            if not done[b]:
                if tok[b].item() == EOS:
                    done[b] = True
                else:
                    out[b].append(tok[b].item())
        if all(done):
            break
    return out


def beam(m, src, K, max_len):
    B, V = src.shape[0], m.generator.out_features
    lens = [int((row != PAD).sum()) for row in src]
    keys, mask, h0 = m.encode(src, lens)
    keys, mask = keys.repeat_interleave(K, 0), mask.repeat_interleave(K, 0)
    state, feed = m.init_state(h0.repeat_interleave(K, 1)), torch.zeros(B * K, m.Hd)
    tok = torch.full((B * K,), BOS, dtype=torch.long)
    scores = [[0.0] + [-math.inf] * (K - 1) for _ in range(B)]
    hyps = [[[] for _ in range(K)] for _ in range(B)]
    fin, done = [[] for _ in range(B)], [False] * B
    for t in range(max_len):
        logp, _, h, st, _ = m.step(tok, feed, state, keys, mask)
        logp = logp.double()
        logp[:, PAD] = -math.inf
        logp[:, BOS] = -math.inf
        parents, toks = list(range(B * K)), [EOS] * (B * K)
        for b in range(B):
            if done[b]:
                continue
            cand = torch.tensor(scores[b], dtype=torch.double).unsqueeze(1) + logp[b * K:(b + 1) * K]
            top = torch.topk(cand.view(-1), 2 * K)
            live = []
            for s, i in zip(top.values.tolist(), top.indices.tolist()):
                if len(live) == K or s == -math.inf:
                    break
                k, v = divmod(i, V)
                if v == EOS:
                    fin[b].append((s, t + 1, hyps[b][k][:]))
                    fin[b].sort(key=lambda f: -f[0])
                    del fin[b][1:]
                    continue
                live.append((s, k, v))
            hyps[b] = [hyps[b][k] + [v] for _, k, v in live] + [[] for _ in range(K - len(live))]
            scores[b] = [s for s, _, _ in live] + [-math.inf] * (K - len(live))
            for j, (_, k, v) in enumerate(live):
                parents[b * K + j], toks[b * K + j] = b * K + k, v
            if not live or (fin[b] and scores[b][0] < fin[b][0][0]):
                done[b] = True
        if all(done):
            break
        idx = torch.tensor(parents)
        state = (st[0][:, idx], st[1][:, idx]) if m.dc == "lstm" else st[:, idx]
        feed, tok = h[idx], torch.tensor(toks)
    out = []
    for b in range(B):
        if not fin[b]:
            fin[b] = [(scores[b][0], 0, hyps[b][0])]
        out.append(fin[b][0][2])
    return out


def main():
    job = json.load(sys.stdin)
    torch.set_num_threads(1)
    c = job["cfg"]
    e, d = c["encoder"], c["decoder"]
    fx.SRC_V, fx.TGT_V, fx.E = c["srcVocab"], c["tgtVocab"], c["embeddingDim"]
    case = ("bench", e["cell"], e["hiddenSize"], e.get("numLayers", 1), e.get("bidirectional", False), d["cell"], d["hiddenSize"], d.get("numLayers", 1), c["attention"], d["hiddenSize"], 0.0)
    m = fx.Reference(case)
    m.load_state_dict(read_safetensors(job["file"]))
    B, S, T, ND = job["B"], job["S"], job["T"], job["ND"]
    src = torch.tensor(job["src"]).view(B, S)
    tgt = torch.tensor(job["tgt"]).view(B, T)
    dsrc = torch.tensor(job["dsrc"]).view(ND, S)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        logits = m.teacher_forced(src, [S] * B, tgt, [T] * B)
        loss = torch.nn.functional.cross_entropy(logits.reshape(B * T, -1), tgt.reshape(-1))
        loss.backward()
        opt.step()

    with torch.no_grad():
        g = greedy(m, dsrc, job["maxLength"])
        bm = [x for i in range(0, ND, 64) for x in beam(m, dsrc[i:i + 64], 5, job["maxLength"])]
        greedy_t = timeit(lambda: [greedy(m, dsrc[i:i + 64], job["maxLength"]) for i in range(0, ND, 64)], job["minTime"])
        beam_t = timeit(lambda: [beam(m, dsrc[i:i + 64], 5, job["maxLength"]) for i in range(0, ND, 64)], job["minTime"])
    train_t = timeit(step, job["minTime"])
    print(json.dumps({"torch": torch.__version__, "train": train_t * 1000, "greedyTime": greedy_t * 1000, "beamTime": beam_t * 1000, "greedy": g, "beam": bm}))


if __name__ == "__main__":
    main()
