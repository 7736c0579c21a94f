"""Plain-PyTorch reference of a whole Llama-family causal LM (Llama, Qwen2 with q/k/v biases, Qwen3 with
q/k norms; tied or untied embeddings; RoPE with linear or llama3 scaling; GQA) with LoRA adapters in
PEFT layout, written from the papers and the Hugging Face config semantics (no transformers, no peft).

  check <dir>   <dir>/manifest.json names the model folder (config.json + model.safetensors, F32),
                raw inputs and LoRA tensors (and, with LoRA dropout, each module's keep-mask as
                <module>.dropout.u8 and the scale of kept values); writes logits.f32, grad.<name>.f32
                and result.json (loss)

Run with Debian's interpreter: /usr/bin/python3 (python3-torch, python3-numpy).
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        assert spec["dtype"] == "F32", f"{name}: only F32 in the reference"
        a, b = spec["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype="<f4").reshape(spec["shape"]).copy())
    return out


def inv_freq(cfg):
    d = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    theta = cfg.get("rope_theta", 10000.0)
    inv = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    s = cfg.get("rope_scaling")
    if not s:
        return inv
    kind = s.get("rope_type", s.get("type"))
    if kind == "linear":
        return inv / s["factor"]
    if kind == "llama3":
        old = s["original_max_position_embeddings"]
        low_w, high_w = old / s["low_freq_factor"], old / s["high_freq_factor"]
        wavelen = 2 * math.pi / inv
        out = torch.where(wavelen > low_w, inv / s["factor"], inv)
        smooth = (old / wavelen - s["low_freq_factor"]) / (s["high_freq_factor"] - s["low_freq_factor"])
        smoothed = (1 - smooth) * out / s["factor"] + smooth * out
        medium = ~(wavelen < high_w) & ~(wavelen > low_w)
        return torch.where(medium, smoothed, out)
    raise ValueError(kind)


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    d = x.shape[-1] // 2
    return torch.cat((-x[..., d:], x[..., :d]), dim=-1)


def forward(cfg, w, lora, scale, ids, dropout=None):
    arch = cfg["model_type"]
    hs, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    kv = cfg.get("num_key_value_heads", nh)
    d = cfg.get("head_dim") or hs // nh
    eps = cfg["rms_norm_eps"]
    b, s = ids.shape
    freqs = torch.outer(torch.arange(s, dtype=torch.float32), inv_freq(cfg))
    emb = torch.cat((freqs, freqs), -1)
    cos, sin = emb.cos(), emb.sin()

    def lin(x, name):
        y = x @ w[name + ".weight"].t()
        if name + ".bias" in w:
            y = y + w[name + ".bias"]
        if name in lora:
            a, bb = lora[name]
            # PEFT: lora_B(lora_A(lora_dropout(x))) * scaling; dropout = keep-mask / (1 - p).
            xd = x * dropout[name] if dropout is not None else x
            y = y + (xd @ a.t() @ bb.t()) * scale
        return y

    x = w["model.embed_tokens.weight"][ids]
    causal = torch.triu(torch.ones(s, s, dtype=torch.bool), diagonal=1)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = lin(h, p + "self_attn.q_proj").view(b, s, nh, d).transpose(1, 2)
        k = lin(h, p + "self_attn.k_proj").view(b, s, kv, d).transpose(1, 2)
        v = lin(h, p + "self_attn.v_proj").view(b, s, kv, d).transpose(1, 2)
        if arch == "qwen3":
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = nh // kv
        k = k[:, :, None].expand(b, kv, rep, s, d).reshape(b, nh, s, d)
        v = v[:, :, None].expand(b, kv, rep, s, d).reshape(b, nh, s, d)
        sc = (q @ k.transpose(-1, -2)) / math.sqrt(d)
        sc = sc.masked_fill(causal, float("-inf"))
        o = (sc.softmax(-1) @ v).transpose(1, 2).reshape(b, s, nh * d)
        x = x + lin(o, p + "self_attn.o_proj")
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        x = x + lin(torch.nn.functional.silu(lin(h, p + "mlp.gate_proj")) * lin(h, p + "mlp.up_proj"), p + "mlp.down_proj")
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else w["lm_head.weight"]
    return x @ head.t()


def load_case(folder):
    """The manifest, the model's config and weights, a reader of the raw input files, and the LoRA
    tensors (requiring grad) a test wrote to `folder`."""
    with open(os.path.join(folder, "manifest.json")) as f:
        m = json.load(f)
    with open(os.path.join(m["model"], "config.json")) as f:
        cfg = json.load(f)
    w = read_safetensors(os.path.join(m["model"], "model.safetensors"))

    def raw(name, dtype, shape):
        return torch.from_numpy(np.fromfile(os.path.join(folder, name), dtype=dtype).reshape(shape).copy())

    lora = {}
    for mod in m["lora"]["modules"]:
        a = raw(f"{mod}.lora_A.f32", "<f4", m["lora"]["shapes"][mod]["A"]).requires_grad_(True)
        bb = raw(f"{mod}.lora_B.f32", "<f4", m["lora"]["shapes"][mod]["B"]).requires_grad_(True)
        lora[mod] = (a, bb)
    return m, cfg, w, raw, lora


def write_lora_grads(folder, lora):
    for mod, (a, bb) in lora.items():
        a.grad.numpy().astype("<f4").tofile(os.path.join(folder, f"grad.{mod}.lora_A.f32"))
        bb.grad.numpy().astype("<f4").tofile(os.path.join(folder, f"grad.{mod}.lora_B.f32"))


def check(folder):
    m, cfg, w, raw, lora = load_case(folder)
    b, s = m["batch"], m["seq"]
    ids = raw("input_ids.i64", "<i8", [b, s])
    labels = raw("labels.i64", "<i8", [b, s])  # unshifted, -100 ignored
    weights = raw("weights.f32", "<f4", [b, s])
    dropout = None
    if "dropout_scale" in m["lora"]:
        dropout = {}
        for mod in m["lora"]["modules"]:
            shape = [b, s, m["lora"]["shapes"][mod]["A"][1]]
            keep = raw(f"{mod}.dropout.u8", "<u1", shape).float()
            dropout[mod] = keep * torch.tensor(m["lora"]["dropout_scale"], dtype=torch.float32)
    logits = forward(cfg, w, lora, m["lora"]["scale"], ids, dropout)
    # Causal-LM loss as transformers computes it: predict token t+1 from position t.
    sl = logits[:, :-1].reshape(-1, logits.shape[-1])
    tl = labels[:, 1:].reshape(-1)
    tw = weights[:, 1:].reshape(-1) * (tl != -100).float()
    nll = torch.nn.functional.cross_entropy(sl, tl, ignore_index=-100, reduction="none")
    loss = (nll * tw).sum() / tw.sum()
    loss.backward()
    logits.detach().numpy().astype("<f4").tofile(os.path.join(folder, "logits.f32"))
    write_lora_grads(folder, lora)
    with open(os.path.join(folder, "result.json"), "w") as f:
        json.dump({"loss": loss.item(), "torch": torch.__version__}, f)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        print(__doc__)
        sys.exit(2)
