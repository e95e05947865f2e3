"""A PyTorch training script runs on minigrad after changing only its imports.

SCRIPT is written as a PyTorch user writes it. The test runs it twice, under
PyTorch's imports and under minigrad's (the only lines that differ), from the same
weights and data, and compares the losses step by step.
"""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

# The tensor idioms SCRIPT uses beyond nn and optim, each tried on a small tensor.
IDIOMS = {
    "torch.from_numpy(array)": lambda x: mg.from_numpy(np.zeros(2)),
    "x.size(0)": lambda x: x.size(0),
    "x.transpose(0, 1) on 3-D": lambda x: x.transpose(0, 1),
    "torch.cat([...], dim=2)": lambda x: mg.cat([x, x], dim=2),
    "x.contiguous().view(-1, n)": lambda x: x.contiguous().view(-1, 4),
    "x.mean(dim=1)": lambda x: x.mean(dim=1),
    "x.argmax(dim=1)": lambda x: x.argmax(dim=1),
    "(a == b).float()": lambda x: (x == x).float(),
}


def missing_idioms():
    missing = []
    for idiom, attempt in IDIOMS.items():
        try:
            attempt(mg.zeros(2, 3, 4))
        except (AttributeError, TypeError, ValueError):
            missing.append(idiom)
    return missing

TORCH_IMPORTS = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
"""

MINIGRAD_IMPORTS = """\
import minigrad as torch
from minigrad import nn, optim
from minigrad.nn import functional as F
"""

SCRIPT = """
class Tagger(nn.Module):
    def __init__(self, vocab_size, embed_size, hidden_size, num_tags):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.lstm = nn.LSTM(embed_size, hidden_size, num_layers=2, dropout=0.0)
        self.head = nn.Linear(hidden_size + embed_size, num_tags)

    def forward(self, tokens, hx=None):
        embedded = self.embedding(tokens)                          # (N, T, E)
        output, hx = self.lstm(embedded.transpose(0, 1), hx)       # time-major (T, N, H)
        features = torch.cat([output.transpose(0, 1), embedded], dim=2)
        return self.head(features.contiguous().view(-1, features.size(2))), hx


def detach(hx):
    return tuple(h.detach() for h in hx)


model = Tagger(VOCAB, 6, 8, TAGS)
model.load_state_dict({name: torch.tensor(value) for name, value in WEIGHTS.items()})
model.lstm.flatten_parameters()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

tokens, tags = torch.from_numpy(TOKENS), torch.from_numpy(TAGS_DATA)
batch_size = tokens.size(0)
hx = None
losses = []
model.train()
for epoch in range(4):
    for start in range(0, tokens.size(1), 5):
        x = tokens[:, start:start + 5]
        y = tags[:, start:start + 5]
        optimizer.zero_grad()
        logits, hx = model(x, hx)
        hx = detach(hx)
        loss = criterion(logits, y.reshape(-1))
        loss = loss + 0.1 * F.mse_loss(logits.mean(dim=1), torch.zeros(logits.size(0)))
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    scheduler.step()

model.eval()
with torch.no_grad():
    logits, _ = model(tokens)
    accuracy = (logits.argmax(dim=1) == tags.view(-1)).float().mean().item()
"""


def run(imports, weights, tokens, tags):
    namespace = {"WEIGHTS": weights, "TOKENS": tokens, "TAGS_DATA": tags, "VOCAB": 11, "TAGS": 4}
    exec(compile(imports + SCRIPT, "<ported script>", "exec"), namespace)  # noqa: S102
    return namespace["losses"], namespace["accuracy"]


@pytest.mark.skipif(bool(missing_idioms()),
                    reason=f"minigrad lacks the tensor idioms {missing_idioms()}")
def test_a_pytorch_lstm_script_runs_on_minigrad_with_only_its_imports_changed():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    tokens, tags = rng.integers(0, 11, (3, 10)), rng.integers(0, 4, (3, 10))
    namespace = {}
    exec(compile(TORCH_IMPORTS + SCRIPT.split("\n\ndef detach")[0], "<model>", "exec"),
         namespace)
    weights = {name: value.detach().numpy().copy()
               for name, value in namespace["Tagger"](11, 6, 8, 4).state_dict().items()}
    expected, expected_accuracy = run(TORCH_IMPORTS, weights, tokens, tags)
    losses, accuracy = run(MINIGRAD_IMPORTS, weights, tokens, tags)
    np.testing.assert_allclose(losses, expected, rtol=2e-4)
    assert accuracy == pytest.approx(expected_accuracy)
