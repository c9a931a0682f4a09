"""Parity with PyTorch. Run by `nox -s torch`, which installs torch==2.13.0."""

import math
from types import ModuleType

import pytest

from autograd import Value

pytestmark = pytest.mark.torch


@pytest.fixture(scope="module")
def torch() -> ModuleType:
    try:
        import torch
    except ImportError:
        pytest.fail("PyTorch is not installed; these tests run in `nox -s torch`")
    torch.set_default_dtype(torch.float64)
    return torch


def test_expression_parity(torch: ModuleType) -> None:
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()

    ta = torch.tensor(-4.0, requires_grad=True)
    tb = torch.tensor(2.0, requires_grad=True)
    tc = ta + tb
    td = ta * tb + tb**3
    tc = tc + tc + 1
    tc = tc + 1 + tc + (-ta)
    td = td + td * 2 + (tb + ta).relu()
    td = td + 3 * td + (tb - ta).relu()
    te = tc - td
    tf = te**2
    tg = tf / 2.0
    tg = tg + 10.0 / tf
    tg.backward()

    assert g.data == pytest.approx(tg.item(), rel=1e-12)
    assert a.grad == pytest.approx(ta.grad.item(), rel=1e-12)
    assert b.grad == pytest.approx(tb.grad.item(), rel=1e-12)


@pytest.mark.parametrize("x0", [-2.5, -0.3, 0.7, 3.0])
def test_unary_functions_parity(torch: ModuleType, x0: float) -> None:
    x = Value(x0)
    out = x.tanh() * x.sigmoid() + (x * x + 1.0).log() + (x / 4).exp() + x.relu()
    out.backward()
    tx = torch.tensor(x0, requires_grad=True)
    tout = tx.tanh() * tx.sigmoid() + (tx * tx + 1.0).log() + (tx / 4).exp() + tx.relu()
    tout.backward()
    assert out.data == pytest.approx(tout.item(), rel=1e-12)
    assert x.grad == pytest.approx(tx.grad.item(), rel=1e-12)


def test_power_by_a_value_parity(torch: ModuleType) -> None:
    a, b = Value(1.7), Value(-0.4)
    (a**b).backward()
    ta = torch.tensor(1.7, requires_grad=True)
    tb = torch.tensor(-0.4, requires_grad=True)
    (ta**tb).backward()
    assert (a.grad, b.grad) == pytest.approx((ta.grad.item(), tb.grad.item()), rel=1e-12)
    assert b.grad == pytest.approx(1.7**-0.4 * math.log(1.7))


def test_mlp_gradient_parity(torch: ModuleType) -> None:
    from autograd.nn import MLP, hinge_loss, l2_penalty

    model = MLP(2, [4, 1], seed=5)
    points, labels = [[0.5, -1.0], [-0.25, 0.75]], [1, -1]
    scores = [model(p) for p in points]
    loss = hinge_loss(scores, labels) + l2_penalty(model.parameters(), 1e-4)  # type: ignore[arg-type]
    loss.backward()

    hidden, output = model.layers
    w1 = torch.tensor([[w.data for w in n.w] for n in hidden.neurons], requires_grad=True)
    b1 = torch.tensor([n.b.data for n in hidden.neurons], requires_grad=True)
    w2 = torch.tensor([[w.data for w in n.w] for n in output.neurons], requires_grad=True)
    b2 = torch.tensor([n.b.data for n in output.neurons], requires_grad=True)
    x = torch.tensor(points)
    y = torch.tensor(labels, dtype=torch.float64)
    s = ((x @ w1.T + b1).relu() @ w2.T + b2).squeeze(1)
    tloss = (1 - y * s).relu().mean() + 1e-4 * sum((p * p).sum() for p in (w1, b1, w2, b2))
    tloss.backward()

    assert loss.data == pytest.approx(tloss.item(), rel=1e-12)
    ours = [w.grad for n in hidden.neurons for w in n.w]
    assert ours == pytest.approx(w1.grad.flatten().tolist(), rel=1e-9, abs=1e-15)
    assert [n.b.grad for n in output.neurons] == pytest.approx(b2.grad.tolist(), rel=1e-9)


def test_power_of_a_negative_base_parity(torch: ModuleType) -> None:
    a, b = Value(-2.0), Value(2.0)
    (a**b).backward()
    ta = torch.tensor(-2.0, requires_grad=True)
    tb = torch.tensor(2.0, requires_grad=True)
    (ta**tb).backward()
    assert a.grad == ta.grad.item() == -4.0
    assert math.isnan(b.grad) and math.isnan(tb.grad.item())
