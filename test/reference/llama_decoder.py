"""Plain-PyTorch reference of a whole Llama-family decoder (no transformers), read from a Hugging Face
folder (config.json + a float32 model.safetensors): Llama, Mistral (sliding window), Qwen2 (q/k/v
bias), Qwen3 (q/k norms), GQA, tied or untied embeddings, default or linear RoPE scaling.

  python3 llama_decoder.py <model dir> <ids JSON> <new tokens> <logits out .f32> [<model dir> …]

for each group of four arguments, writes the prompt's logits [seq, vocab] as raw float32 to the out
file, and prints one JSON line {"greedy": [...]}: the greedy continuation computed without a cache
(the whole sequence at each step). Several models in one call pay for one torch import.
Run with Debian's interpreter: /usr/bin/python3 (python3-torch, python3-numpy).
"""
import json
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
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise SystemExit(f"{name}: only F32 weights are supported by the reference, got {info['dtype']}")
        b, e = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[b:e], dtype=np.float32).copy()).reshape(info["shape"])
    return out


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    d = x.shape[-1] // 2
    return torch.cat((-x[..., d:], x[..., :d]), dim=-1)


def forward(ids, w, c):
    hidden, heads = c["hidden_size"], c["num_attention_heads"]
    kv = c.get("num_key_value_heads") or heads
    d = c.get("head_dim") or hidden // heads
    eps = c.get("rms_norm_eps", 1e-6)
    arch = c["model_type"]
    s = len(ids)
    inv_freq = 1.0 / (c.get("rope_theta", 10000.0) ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    scaling = c.get("rope_scaling")
    if scaling and (scaling.get("rope_type") or scaling.get("type")) == "linear":
        inv_freq = inv_freq / scaling["factor"]
    freqs = torch.outer(torch.arange(s, dtype=torch.float32), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    mask = torch.triu(torch.full((s, s), float("-inf")), diagonal=1)
    window = c.get("sliding_window") if arch == "mistral" else None
    if window:
        # Mistral: query i sees keys j with i - window < j <= i.
        mask = mask + torch.tril(torch.full((s, s), float("-inf")), diagonal=-window)
    x = w["model.embed_tokens.weight"][torch.tensor(ids)][None]
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."

        def lin(name, t):
            y = t @ w[p + name + ".weight"].t()
            b = w.get(p + name + ".bias")
            return y if b is None else y + b

        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = lin("self_attn.q_proj", h).view(1, s, heads, d)
        k = lin("self_attn.k_proj", h).view(1, s, kv, d)
        v = lin("self_attn.v_proj", h).view(1, s, kv, d).transpose(1, 2)
        if arch == "qwen3":
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = heads // kv
        k = k[:, :, None].expand(1, kv, rep, s, d).reshape(1, heads, s, d)
        v = v[:, :, None].expand(1, kv, rep, s, d).reshape(1, heads, s, d)
        att = torch.softmax(q @ k.transpose(-1, -2) / (d ** 0.5) + mask, dim=-1) @ v
        x = x + lin("self_attn.o_proj", att.transpose(1, 2).reshape(1, s, heads * d))
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        x = x + lin("mlp.down_proj", torch.nn.functional.silu(lin("mlp.gate_proj", h)) * lin("mlp.up_proj", h))
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if c.get("tie_word_embeddings") else w["lm_head.weight"]
    return (x @ head.t())[0]


def run(folder, ids, n_new, out):
    with open(os.path.join(folder, "config.json")) as f:
        c = json.load(f)
    w = read_safetensors(os.path.join(folder, "model.safetensors"))
    with torch.no_grad():
        logits = forward(ids, w, c)
        logits.numpy().astype(np.float32).tofile(out)
        seq = list(ids)
        for _ in range(n_new):
            seq.append(int(forward(seq, w, c)[-1].argmax()))
    print(json.dumps({"greedy": seq[len(ids):]}))


def main():
    args = sys.argv[1:]
    if not args or len(args) % 4:
        raise SystemExit(__doc__)
    for i in range(0, len(args), 4):
        run(args[i], json.loads(args[i + 1]), int(args[i + 2]), args[i + 3])


if __name__ == "__main__":
    main()
