#!/usr/bin/python3
"""LeNet-FM training step on Fashion-MNIST with PyTorch: vcnn's peer for TrainStepBench (bench/peers).

Usage: /usr/bin/python3 train_step.py --threads N [--epochs 1] [--limit-train K] [--limit-test K]
                                      [--warmup 20] [--data DIR] [--json out.json]
Run it through bench/peers/peer torch, which puts OpenBLAS in front of Debian's reference BLAS.

Network: Conv(1->32,5x5,p2)+ReLU -> MaxPool2 -> Conv(32->64,5x5,p2)+ReLU -> MaxPool2
         -> Flatten(3136) -> Dense(128)+ReLU -> Dropout(0.5) -> Dense(10) -> softmax-CE.
Adam lr=1e-3, batch 64, L2 1e-4 on weights only (coupled, i.e. added to the gradient
before Adam = torch Adam weight_decay = DL4J .l2(); biases not regularized, as DL4J's l2).
Throughput per epoch = images in batches [warmup, end) / wall time of those batches
(forward + backward + optimizer step + batch slicing). Test eval is not included in epoch time.
The JSON states which BLAS library the process loaded (a fast one is needed for a fair figure).
"""
import argparse, gzip, json, os, platform, struct, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist


def loaded_blas():
    """The BLAS / LAPACK shared objects this process has mapped (from /proc/self/maps)."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                p = line.split()[-1] if line.strip() else ""
                if "blas" in os.path.basename(p) or "lapack" in os.path.basename(p):
                    libs.add(p)
    except OSError:
        pass
    return sorted(libs)


def load_idx_images(path):
    with gzip.open(path, "rb") as f:
        buf = f.read()
    magic, n, rows, cols = struct.unpack(">IIII", buf[:16])
    assert magic == 2051, magic
    return np.frombuffer(buf, dtype=np.uint8, offset=16).reshape(n, 1, rows, cols)


def load_idx_labels(path):
    with gzip.open(path, "rb") as f:
        buf = f.read()
    magic, n = struct.unpack(">II", buf[:8])
    assert magic == 2049, magic
    return np.frombuffer(buf, dtype=np.uint8, offset=8)


class LeNetFM(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 5, padding=2)
        self.conv2 = nn.Conv2d(32, 64, 5, padding=2)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2, 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2, 2)
        x = torch.flatten(x, 1)
        x = self.drop(F.relu(self.fc1(x)))
        return self.fc2(x)  # logits; CrossEntropyLoss = log-softmax + NLL


def evaluate(model, x, y, bs=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], bs):
            correct += (model(x[i:i + bs]).argmax(1) == y[i:i + bs]).sum().item()
    model.train()
    return correct / x.shape[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--warmup", type=int, default=20, help="batches excluded from throughput, per epoch")
    ap.add_argument("--limit-train", type=int, default=0)
    ap.add_argument("--limit-test", type=int, default=0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--data", default=DATA, help="folder with the four Fashion-MNIST idx .gz files")
    ap.add_argument("--json", default="")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)

    t0 = time.perf_counter()
    xtr = load_idx_images(f"{a.data}/train-images-idx3-ubyte.gz")
    ytr = load_idx_labels(f"{a.data}/train-labels-idx1-ubyte.gz")
    xte = load_idx_images(f"{a.data}/t10k-images-idx3-ubyte.gz")
    yte = load_idx_labels(f"{a.data}/t10k-labels-idx1-ubyte.gz")
    if a.limit_train:
        xtr, ytr = xtr[:a.limit_train], ytr[:a.limit_train]
    if a.limit_test:
        xte, yte = xte[:a.limit_test], yte[:a.limit_test]
    xtr = torch.from_numpy(xtr.astype(np.float32) / 255.0)
    ytr = torch.from_numpy(ytr.astype(np.int64))
    xte = torch.from_numpy(xte.astype(np.float32) / 255.0)
    yte = torch.from_numpy(yte.astype(np.int64))
    load_s = time.perf_counter() - t0

    model = LeNetFM()
    decay = [p for n, p in model.named_parameters() if n.endswith("weight")]
    no_decay = [p for n, p in model.named_parameters() if not n.endswith("weight")]
    opt = torch.optim.Adam([{"params": decay, "weight_decay": 1e-4},
                            {"params": no_decay, "weight_decay": 0.0}], lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    n = xtr.shape[0]
    nb = (n + a.batch - 1) // a.batch
    print(f"torch {torch.__version__} threads={torch.get_num_threads()} mkldnn={torch.backends.mkldnn.is_available()} "
          f"train={n} test={xte.shape[0]} batches/epoch={nb} load={load_s:.2f}s", flush=True)
    epochs = []
    model.train()
    for ep in range(1, a.epochs + 1):
        perm = torch.from_numpy(rng.permutation(n))
        t_start = time.perf_counter()
        t_warm = None
        loss_sum = 0.0
        for b in range(nb):
            if b == a.warmup:
                t_warm = time.perf_counter()
            idx = perm[b * a.batch:(b + 1) * a.batch]
            xb, yb = xtr[idx], ytr[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            if b % 100 == 0 or b == nb - 1:
                loss_sum = loss.item()  # sync point is irrelevant on CPU; cheap
        t_end = time.perf_counter()
        ep_s = t_end - t_start
        timed_imgs = n - min(a.warmup, nb) * a.batch
        ips = timed_imgs / (t_end - t_warm) if t_warm is not None and timed_imgs > 0 else float("nan")
        te0 = time.perf_counter()
        acc = evaluate(model, xte, yte)
        eval_s = time.perf_counter() - te0
        epochs.append({"epoch": ep, "epoch_s": ep_s, "images_per_s": ips, "test_acc": acc,
                       "last_loss": loss_sum, "eval_s": eval_s})
        print(f"epoch {ep}: {ep_s:.2f}s  {ips:.1f} img/s (excl. first {a.warmup} batches)  "
              f"test_acc={acc:.4f}  last_loss={loss_sum:.4f}  eval={eval_s:.2f}s", flush=True)

    ips = [e["images_per_s"] for e in epochs]
    res = {"tool": "pytorch", "version": torch.__version__, "threads": a.threads,
           "images_per_s": max(ips), "blas": loaded_blas(), "mkldnn": torch.backends.mkldnn.is_available(),
           "python": platform.python_version(), "numpy": np.__version__,
           "train": n, "test": int(xte.shape[0]), "batch": a.batch, "warmup_batches": a.warmup,
           "epochs": epochs}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
