"""Plain-PyTorch reference of the DPO loss on the Llama-family reference model (llama_model.py):
reference log-probs with the adapters disabled (scale 0, no grad), policy log-probs with them,
loss = mean over pairs of -log sigmoid(beta * ((pc - rc) - (pr - rr))), sequence log-prob = sum of the
completion tokens' log-probs.

  check <dir>   <dir>/manifest.json: model folder, batch (2P rows: chosen then rejected), seq, pairs,
                beta, LoRA tensors; input_ids.i64 and weights.f32 [2P, seq] (weight of predicting token t);
                writes grad.<name>.f32 and result.json (loss, logps)
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from llama_model import forward, load_case, write_lora_grads  # noqa: E402


def seq_logps(logits, ids, weights):
    lp = torch.log_softmax(logits[:, :-1].double(), -1).gather(-1, ids[:, 1:, None]).squeeze(-1)
    return (lp * weights[:, 1:].double()).sum(-1)


def check(folder):
    m, cfg, w, raw, lora = load_case(folder)
    b, s, p, beta = m["batch"], m["seq"], m["pairs"], m["beta"]
    ids = raw("input_ids.i64", "<i8", [b, s])
    weights = raw("weights.f32", "<f4", [b, s])
    with torch.no_grad():
        ref = seq_logps(forward(cfg, w, lora, 0.0, ids), ids, weights)
    pol = seq_logps(forward(cfg, w, lora, m["lora"]["scale"], ids), ids, weights)
    z = beta * ((pol[:p] - ref[:p]) - (pol[p:] - ref[p:]))
    loss = -torch.nn.functional.logsigmoid(z).mean()
    loss.backward()
    write_lora_grads(folder, lora)
    with open(os.path.join(folder, "result.json"), "w") as f:
        json.dump({"loss": loss.item(), "policy": pol.tolist(), "reference": ref.tolist()}, f)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        print(__doc__)
        sys.exit(2)
