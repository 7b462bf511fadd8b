"""Shared helpers for the reference scripts in tools/reference/.

Nothing here is used at run time or in CI: these scripts produce the committed fixtures under
test/fixtures/ that the TypeScript runtime is tested against.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping

import numpy as np
import torch

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "test" / "fixtures"
CHECKPOINTS_DIR = FIXTURES / "checkpoints"
# The real checkpoint the chronos-forecasting package ships in its tests; read in place, never copied.
DUMMY_MODEL = (REPO_ROOT / ".." / "shared" / "data" / "chronos-dummy-model").resolve()


def rel_to_repo(path: Path | str) -> str:
    """Path relative to the repository root, with forward slashes (may start with ../)."""
    return Path(os.path.relpath(Path(path).resolve(), REPO_ROOT)).as_posix()


def versions() -> Dict[str, str]:
    import safetensors
    import transformers

    try:
        from importlib.metadata import version

        chronos_version = version("chronos-forecasting")
    except Exception:  # pragma: no cover
        chronos_version = "unknown"
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "chronos-forecasting": chronos_version,
        "safetensors": safetensors.__version__,
        "numpy": np.__version__,
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }


def setup_torch() -> None:
    """Deterministic, single-threaded-ish CPU float32 settings (the machine is shared)."""
    torch.set_num_threads(int(os.environ.get("REF_THREADS", "1")))
    torch.use_deterministic_algorithms(True)
    torch.set_grad_enabled(False)


def json_float(x: float) -> Any:
    """A float for JSON: NaN -> None; +-inf -> "inf"/"-inf" strings (JSON has no inf); else the exact
    double (for float32 values this is the exact float32 value, so Math.fround(parsed) is bit-exact)."""
    x = float(x)
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def f32_list(a: Iterable) -> list:
    arr = np.asarray(a, dtype=np.float32)
    return [json_float(v) for v in arr.reshape(-1).tolist()] if arr.ndim <= 1 else [f32_list(r) for r in arr]


def write_json(path: Path, obj: Any, compact_arrays: bool = True) -> None:
    """Write JSON with stable formatting; innermost numeric lists are kept on one line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(obj, indent=2, allow_nan=False)
    if compact_arrays:
        text = _compact_numeric_lists(text)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text + "\n")
    tmp.replace(path)


def _compact_numeric_lists(text: str) -> str:
    import re

    # Collapse lists whose items are only numbers / null / short strings onto one line.
    pattern = re.compile(r"\[\s*((?:-?[0-9.eE+\-]+|null|true|false)(?:,\s*(?:-?[0-9.eE+\-]+|null|true|false))*)\s*\]")
    return pattern.sub(lambda m: "[" + ", ".join(s.strip() for s in m.group(1).split(",")) + "]", text)


def save_arrays(path: Path, arrays: Mapping[str, torch.Tensor | np.ndarray], metadata: Dict[str, str] | None = None) -> Dict[str, Dict[str, Any]]:
    """Save arrays as safetensors: floating -> F32, integer/bool -> I64. Returns {name: {dtype, shape}}.
    Keep metadata to at most one key: safetensors writes the metadata map in hash order, so several keys
    make the file bytes differ from run to run."""
    if metadata and len(metadata) > 1:
        raise ValueError("at most one metadata key (byte-reproducible files)")
    from safetensors.torch import save_file

    out: Dict[str, torch.Tensor] = {}
    info: Dict[str, Dict[str, Any]] = {}
    for name, value in arrays.items():
        t = torch.as_tensor(np.asarray(value)) if isinstance(value, np.ndarray) else value.detach().cpu()
        if t.is_floating_point():
            t = t.to(torch.float32)
            dtype = "F32"
        else:
            t = t.to(torch.int64)
            dtype = "I64"
        out[name] = t.contiguous()
        info[name] = {"dtype": dtype, "shape": list(t.shape)}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    save_file(out, str(tmp), metadata=metadata)
    tmp.replace(path)
    return info


def load_arrays(path: Path) -> Dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(path))


def load_t5_float32(model_dir: Path):
    """Load a checkpoint the way the references are computed: upcast to float32, eval mode, eager attention."""
    from transformers import T5ForConditionalGeneration

    model = T5ForConditionalGeneration.from_pretrained(
        str(model_dir), torch_dtype=torch.float32, attn_implementation="eager"
    )
    model.eval()
    return model


def load_chronos_config(model_dir: Path) -> Dict[str, Any]:
    return json.loads((Path(model_dir) / "config.json").read_text())["chronos_config"]


def make_tokenizer(chronos_config: Dict[str, Any]):
    from chronos import ChronosConfig

    return ChronosConfig(**chronos_config).create_tokenizer()


def file_size_summary(root: Path) -> int:
    total = 0
    rows = []
    for p in sorted(root.rglob("*")):
        if p.is_file():
            s = p.stat().st_size
            total += s
            rows.append((s, rel_to_repo(p)))
    for s, name in rows:
        print(f"{s:>10}  {name}")
    print(f"{total:>10}  TOTAL under {rel_to_repo(root)}")
    return total


def write_case(out_dir: Path, base: str, meta: Dict[str, Any], arrays: Mapping[str, torch.Tensor | np.ndarray]) -> str:
    """One fixture case: `<base>.safetensors` with the arrays, `<base>.json` with the metadata (naming the
    arrays file, its arrays and the library versions). Returns `base`."""
    meta["arrays_file"] = f"{base}.safetensors"
    meta["arrays"] = save_arrays(out_dir / meta["arrays_file"], arrays)
    meta["versions"] = versions()
    write_json(out_dir / f"{base}.json", meta)
    log(f"  {base}: {len(arrays)} arrays")
    return base


def zero_heads(heads: List[int], dkv: int):
    """A forward pre-hook on an attention's output projection that zeroes the listed heads' slices of its input."""
    def hook(_module, args):
        (x,) = args
        x = x.clone()
        for h in heads:
            x[..., h * dkv:(h + 1) * dkv] = 0
        return (x,)
    return hook


def check_fixture_budget(root: Path, limit: int, what: str) -> None:
    """Fixtures are committed, so each family's folder has a size budget; exceeding it stops the script."""
    total = file_size_summary(root)
    if total >= limit:
        sys.exit(f"{what} fixtures are {total} bytes: over their {limit:,} byte budget")


def save_checkpoint(model, out: Path, config: Dict[str, Any]) -> None:
    """save_pretrained, then keep only the weights and the config we chose (byte-stable): save_pretrained
    writes transformers' own fields and side files too."""
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out), safe_serialization=True)
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    for extra in out.iterdir():
        if extra.name not in ("config.json", "model.safetensors"):
            extra.unlink()


def real_size_args(ap, sizes: Iterable[str]) -> None:
    """--real/--out/--seed: random-weight checkpoints at published sizes, for benchmarks (not committed)."""
    ap.add_argument("--real", help=f"comma-separated published sizes ({', '.join(sizes)}): random weights at that size, not committed")
    ap.add_argument("--out", type=Path, help="output folder for --real (checkpoints and fixtures)")
    ap.add_argument("--seed", type=int, default=0)


def real_sizes(ap, args, sizes: Mapping[str, Any]) -> list:
    """The sizes --real names, each checked; an unknown one or a missing --out stops with argparse's message."""
    if not args.out:
        ap.error("--real needs --out")
    names = args.real.split(",")
    for size in names:
        if size not in sizes:
            ap.error(f"unknown size {size!r}; one of {', '.join(sizes)}")
    return names


def log(*args: Any) -> None:
    print(*args, file=sys.stderr, flush=True)
