"""Baseline for the induction mosaic: the background article's pipeline, in fp32 on the CPU.

transformers' generate(max_new_tokens=1, decoder_input_ids=[0, S[1]], use_cache=False,
output_attentions=True, return_dict_in_generate=True) on a saved token batch, then the batch mean of
cross_attentions[0][layer][:, head, 1, s_idx] (center) and s_idx + 1 (right), as the article's code does.

Prints one JSON line: load and per-run compute times, peak RSS, and the top head (to cross-check ours).
"""
import argparse, json, resource, sys, time

t_start = time.perf_counter()
import torch  # noqa: E402
from transformers import T5ForConditionalGeneration  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--model", required=True)
ap.add_argument("--tokens", required=True)
ap.add_argument("--repeat", type=int, default=1, help="compute runs after loading (the first is also timed)")
ap.add_argument("--threads", type=int, default=0)
a = ap.parse_args()
if a.threads:
    torch.set_num_threads(a.threads)
t_import = time.perf_counter()
model = T5ForConditionalGeneration.from_pretrained(a.model, torch_dtype=torch.float32).eval()
batch = json.load(open(a.tokens))
enc = torch.tensor(batch["encoder_input_ids"], dtype=torch.long)
dec = torch.tensor(batch["decoder_input_ids"], dtype=torch.long)
mask = torch.ones_like(enc)
p = batch["protocol"]
s_idx = p["seqLen"] * (p["repeats"] - 1) + p["subExtension"]
t_load = time.perf_counter()
runs = []
center = right = None
for _ in range(max(1, a.repeat)):
    t0 = time.perf_counter()
    with torch.no_grad():
        out = model.generate(input_ids=enc, attention_mask=mask, max_new_tokens=1, decoder_input_ids=dec,
                             num_return_sequences=1, do_sample=False, use_cache=False, output_attentions=True,
                             output_scores=True, output_hidden_states=True, return_dict_in_generate=True)
    cross = out.cross_attentions[0]
    center = [[float(cross[l][:, h, 1, s_idx].mean()) for h in range(cross[l].shape[1])] for l in range(len(cross))]
    right = [[float(cross[l][:, h, 1, s_idx + 1].mean()) for h in range(cross[l].shape[1])] for l in range(len(cross))]
    runs.append(time.perf_counter() - t0)
best = max(((v, l, h, "center") for l, row in enumerate(center) for h, v in enumerate(row)), default=None)
best_r = max(((v, l, h, "right") for l, row in enumerate(right) for h, v in enumerate(row)), default=None)
print(json.dumps({
    "impl": "transformers", "torch": torch.__version__, "threads": torch.get_num_threads(),
    "import_s": t_import - t_start, "load_s": t_load - t_import, "runs_s": runs,
    "total_s": time.perf_counter() - t_start,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "top_center": best, "top_right": best_r,
}))
