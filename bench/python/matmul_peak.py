"""The machine's fp32 matmul peak (torch / MKL), the physical limit the mosaic's GFLOP/s is read against."""
import json, time
import torch

best = 0.0
for n in (1024, 2048):
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    a @ b
    reps = 10 if n == 1024 else 4
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    dt = time.perf_counter() - t0
    best = max(best, 2 * n ** 3 * reps / dt / 1e9)
print(json.dumps({"matmul_gflops": best, "threads": torch.get_num_threads()}))
