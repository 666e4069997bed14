#!/usr/bin/env python3
"""PyTorch side of npm run bench:peers: the same workloads on the CPU at the
same thread count, from the weights and inputs bench/peers.js writes.
Reads a JSON job on stdin; prints JSON timings and writes each workload's
output for the correctness check."""
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


def main():
    job = json.load(sys.stdin)
    torch.set_num_threads(job["threads"])
    res = {}
    for w in job["workloads"]:
        t = read_safetensors(w["file"])
        cls = torch.nn.LSTM if w["cell"] == "LSTM" else torch.nn.GRU
        m = cls(w["I"], w["H"], num_layers=w["layers"], bidirectional=w["bidirectional"])
        m.load_state_dict({k[6:]: v for k, v in t.items() if k.startswith("param.")})
        x = t["x"]
        if w["kind"] == "infer":
            with torch.no_grad():
                y = m(x)[0]
                samples = timeit(lambda: m(x), job["minTime"])
            y.numpy().astype(np.float32).tofile(w["file"] + ".torch.bin")
        elif w["kind"] == "train":
            head = torch.nn.Linear(w["H"], 1)
            opt = torch.optim.Adam(list(m.parameters()) + list(head.parameters()), lr=1e-3)
            target = torch.zeros(x.shape[1], 1)

            def step():
                opt.zero_grad()
                out, _ = m(x)
                loss = torch.nn.functional.mse_loss(head(out[-1]), target)
                loss.backward()
                opt.step()

            samples = timeit(step, job["minTime"])
        else:  # streaming step, batch 1
            state = [None]
            xt = x[:1]

            def one():
                with torch.no_grad():
                    _, state[0] = m(xt, state[0])

            samples = timeit(one, job["minTime"])
        res[w["id"]] = samples
    print(json.dumps({"torch": torch.__version__, "results": res}))


if __name__ == "__main__":
    main()
