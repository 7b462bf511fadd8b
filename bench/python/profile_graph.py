"""Per-node profile of one of our cached ONNX graphs with ONNX Runtime's profiler (enable_profiling).

onnxruntime-node's session options are only reachable through models/runtime/ort.ts, which does not
expose profiling, so this runs the same graph file (from the graph cache) in the Python binding of the
same ONNX Runtime version, with the session options ort.ts uses (all graph optimisations, sequential,
intra-op threads = cores, no spinning). Feeds: the reference mosaic (100 x 22 random tokens from
1911..2187, decoder [start, token]), identity intervention inputs (masks 1, replacements 0, skips 0).
Prints one JSON object: per op type, mean ms per run over the timed runs and share of node time.

    python bench/python/profile_graph.py GRAPH/model.onnx [--runs 3] [--threads 2]
"""
import argparse
import collections
import json
import os
import time

import numpy as np
import onnxruntime as ort


def feeds_for(sess, batch, enc_len, dec_len, rng):
    out = {}
    for i in sess.get_inputs():
        if i.name == "input_ids":
            ids = rng.integers(1911, 2188, size=(batch, enc_len - 1))
            out[i.name] = np.concatenate([ids, np.ones((batch, 1), dtype=np.int64)], axis=1).astype(np.int64)  # EOS last
        elif i.name == "attention_mask":
            out[i.name] = np.ones((batch, enc_len), dtype=np.int64)
        elif i.name == "decoder_input_ids":
            d = rng.integers(1911, 2188, size=(batch, dec_len)).astype(np.int64)
            d[:, 0] = 0
            out[i.name] = d
        elif i.name.endswith("_head_mask"):
            out[i.name] = np.ones(i.shape, dtype=np.float32)
        elif i.name.endswith("_head_repl") or i.name.endswith("_layer_skip"):
            out[i.name] = np.zeros(i.shape, dtype=np.float32)
        else:
            raise SystemExit(f"profile_graph: input {i.name} has no feed rule")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("graph")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--enc-len", type=int, default=22)
    ap.add_argument("--dec-len", type=int, default=2)
    ap.add_argument("--prefix", default="/tmp/chronos-lens-profile")
    a = ap.parse_args()
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.enable_profiling = True
    so.profile_file_prefix = a.prefix
    sess = ort.InferenceSession(a.graph, so, providers=["CPUExecutionProvider"])
    feeds = feeds_for(sess, a.batch, a.enc_len, a.dec_len, np.random.default_rng(1911))
    sess.run(None, feeds)  # warm-up, left out of the summary below
    walls = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        sess.run(None, feeds)
        walls.append(time.perf_counter() - t0)
    trace = sess.end_profiling()
    with open(trace) as f:
        events = json.load(f)
    runs = sorted((e for e in events if e.get("name") == "model_run"), key=lambda e: e["ts"])
    timed = runs[1:]  # the first model_run is the warm-up
    windows = [(e["ts"], e["ts"] + e["dur"]) for e in timed]
    by_op = collections.defaultdict(lambda: [0.0, 0])
    by_node = collections.defaultdict(float)
    for e in events:
        if e.get("cat") != "Node" or not e.get("name", "").endswith("_kernel_time"):
            continue
        if not any(s <= e["ts"] <= t for s, t in windows):
            continue
        op = e.get("args", {}).get("op_name", "?")
        by_op[op][0] += e["dur"]
        by_op[op][1] += 1
        by_node[(op, e["name"][: -len("_kernel_time")])] += e["dur"]
    total = sum(v[0] for v in by_op.values())
    n = len(timed)
    ops = sorted(by_op.items(), key=lambda kv: -kv[1][0])
    os.remove(trace)
    print(json.dumps({
        "ort": ort.__version__,
        "graph": a.graph,
        "threads": a.threads,
        "feeds": {"batch": a.batch, "enc_len": a.enc_len, "dec_len": a.dec_len},
        "runs": n,
        "run_ms_median": 1000 * sorted(walls)[len(walls) // 2],
        "model_run_ms_mean": sum(e["dur"] for e in timed) / n / 1000,
        "node_ms_mean": total / n / 1000,
        "load_average": list(os.getloadavg()),
        "op_types": [{"op": op, "ms_per_run": us / n / 1000, "share": us / total, "nodes_per_run": c / n} for op, (us, c) in ops],
        "top_nodes": [{"op": op, "node": name, "ms_per_run": us / n / 1000} for (op, name), us in sorted(by_node.items(), key=lambda kv: -kv[1])[:12]],
    }))


if __name__ == "__main__":
    main()
