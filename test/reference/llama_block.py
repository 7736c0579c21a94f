"""Plain-PyTorch reference for the built-in engine (no transformers): one Llama decoder layer
(RMSNorm, causal self-attention with RoPE and grouped-query attention, SwiGLU) with LoRA adapters,
a frozen output projection and a cross-entropy with ignore index and per-token weights.

  check <dir>   read manifest.json + raw float32 tensors from <dir>, write loss, gradients and one
                AdamW step (torch.optim.AdamW) back into <dir> (result.json + grad.<name>.f32 files)
  bench ...     time forward + backward of a Llama-shaped block (gradients for LoRA adapters only)

Run with Debian's interpreter: /usr/bin/python3 (python3-torch, python3-numpy).
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    d = x.shape[-1] // 2
    return torch.cat((-x[..., d:], x[..., :d]), dim=-1)


def rope_tables(seq, head_dim, theta, dtype):
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    freqs = torch.outer(torch.arange(seq, dtype=torch.float32), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def linear(x, w, lora=None, scale=1.0):
    y = x @ w.t()
    if lora is not None:
        a, b = lora
        y = y + (x @ a.t() @ b.t()) * scale
    return y


def repeat_kv(t, rep):
    if rep == 1:
        return t
    b, kv, s, d = t.shape
    return t[:, :, None, :, :].expand(b, kv, rep, s, d).reshape(b, kv * rep, s, d)


def decoder_layer(x, p, cfg, lora, scale):
    b, s, _ = x.shape
    h_, kv, d = cfg["heads"], cfg["kv_heads"], cfg["head_dim"]
    cos, sin = rope_tables(s, d, cfg["rope_theta"], x.dtype)
    hn = rms_norm(x, p["ln1"], cfg["eps"])
    q = linear(hn, p["q"], lora.get("q"), scale).view(b, s, h_, d).transpose(1, 2)
    k = linear(hn, p["k"], lora.get("k"), scale).view(b, s, kv, d).transpose(1, 2)
    v = linear(hn, p["v"], lora.get("v"), scale).view(b, s, kv, d).transpose(1, 2)
    q = q * cos + rotate_half(q) * sin
    k = k * cos + rotate_half(k) * sin
    k = repeat_kv(k, h_ // kv)
    v = repeat_kv(v, h_ // kv)
    scores = q @ k.transpose(-1, -2) / math.sqrt(d)
    causal = torch.triu(torch.ones(s, s, dtype=torch.bool), diagonal=1)
    scores = scores.masked_fill(causal, float("-inf"))
    o = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, s, h_ * d)
    h = x + linear(o, p["o"], lora.get("o"), scale)
    hn = rms_norm(h, p["ln2"], cfg["eps"])
    g = linear(hn, p["gate"], lora.get("gate"), scale)
    u = linear(hn, p["up"], lora.get("up"), scale)
    return h + linear(torch.nn.functional.silu(g) * u, p["down"], lora.get("down"), scale)


def cross_entropy(logits, labels, weights, ignore_index):
    nll = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=ignore_index, reduction="none")
    w = weights.reshape(-1) * (labels.reshape(-1) != ignore_index).to(logits.dtype)
    return (nll * w).sum() / w.sum()


def check(folder):
    with open(os.path.join(folder, "manifest.json")) as f:
        m = json.load(f)
    cfg = m["config"]

    def load(name):
        spec = m["tensors"][name]
        dtype = {"float32": np.float32, "int64": np.int64}[spec["dtype"]]
        a = np.fromfile(os.path.join(folder, spec["file"]), dtype=dtype).reshape(spec["shape"])
        return torch.from_numpy(a.copy())

    t = {name: load(name) for name in m["tensors"]}
    trainable = m["trainable"]
    for name in trainable:
        t[name].requires_grad_(True)
    lora = {k: (t[f"{k}.lora_A"], t[f"{k}.lora_B"]) for k in cfg["lora_targets"]}
    out = decoder_layer(t["x"], t, cfg, lora, cfg["lora_scale"])
    logits = out @ t["head"].t()
    loss = cross_entropy(logits, t["labels"], t["weights"], -100)
    loss.backward()
    for name in trainable:
        t[name].grad.numpy().astype("<f4").tofile(os.path.join(folder, f"grad.{name}.f32"))
    opt_params = [t[name] for name in m["adamw"]["params"]]
    opt = torch.optim.AdamW(opt_params, lr=m["adamw"]["lr"], weight_decay=m["adamw"]["weight_decay"], eps=1e-8)
    opt.step()
    for name in m["adamw"]["params"]:
        t[name].detach().numpy().astype("<f4").tofile(os.path.join(folder, f"adamw.{name}.f32"))
    with open(os.path.join(folder, "result.json"), "w") as f:
        json.dump({"loss": loss.item(), "torch": torch.__version__}, f)


def bench(args):
    cfg = dict(hidden=576, heads=9, kv_heads=3, ffn=1536, seq=256, batch=1, rank=8, steps=3, threads=1)
    for a in args:
        k, v = a.lstrip("-").split("=")
        cfg[k] = int(v)
    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(0)
    hd, d = cfg["hidden"], cfg["hidden"] // cfg["heads"]
    c = dict(heads=cfg["heads"], kv_heads=cfg["kv_heads"], head_dim=d, rope_theta=10000.0, eps=1e-5)

    def w(*shape):
        return torch.randn(*shape) * 0.02

    p = dict(ln1=torch.ones(hd), ln2=torch.ones(hd), q=w(hd, hd), k=w(cfg["kv_heads"] * d, hd), v=w(cfg["kv_heads"] * d, hd), o=w(hd, hd),
             gate=w(cfg["ffn"], hd), up=w(cfg["ffn"], hd), down=w(hd, cfg["ffn"]))
    outs = dict(q=hd, k=cfg["kv_heads"] * d, v=cfg["kv_heads"] * d, o=hd)
    lora = {k: (w(cfg["rank"], hd).requires_grad_(True), w(n, cfg["rank"]).requires_grad_(True)) for k, n in outs.items()}
    x = torch.randn(cfg["batch"], cfg["seq"], hd)
    times = []
    for _ in range(cfg["steps"] + 1):
        t0 = time.perf_counter()
        out = decoder_layer(x, p, c, lora, 2.0)
        out.square().mean().backward()
        times.append(time.perf_counter() - t0)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "best_ms": min(times[1:]) * 1000, "median_ms": sorted(times[1:])[len(times[1:]) // 2] * 1000}))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    elif len(sys.argv) >= 2 and sys.argv[1] == "bench":
        bench(sys.argv[2:])
    else:
        print(__doc__)
        sys.exit(2)
