"""CUDA C sources of the one-pass kernels that ops run on the CuPy backend.

On a GPU every NumPy-style pass over an array is a kernel launch, so the ops whose
NumPy forms take several passes (the sigmoid, the tanh's and the sigmoid's
gradients, and the fused LSTM and GRU cell updates) carry one kernel each, which
:meth:`CuPyBackend.kernel <minigrad.backends.Backend.kernel>` compiles once per
process. The ops run them only where their backend's ``compiles_kernels`` is true;
elsewhere their ``xp`` code runs.
"""

from .base import KernelSource

# exp(-x) only overflows to inf for very negative x, where 1 / (1 + inf) is the right 0.
SIGMOID_DEVICE_FUNCTION = """
template <typename T> __device__ T minigrad_sigmoid(T x) { return T(1) / (T(1) + exp(-x)); }
"""
SIGMOID = KernelSource("minigrad_sigmoid", "T x", "T y", "y = minigrad_sigmoid(x)",
                       preamble=SIGMOID_DEVICE_FUNCTION)
SIGMOID_GRAD = KernelSource("minigrad_sigmoid_grad", "T y, T gy", "T gx",
                            "gx = gy * y * (T(1) - y)")
TANH_GRAD = KernelSource("minigrad_tanh_grad", "T y, T gy", "T gx", "gx = gy * (T(1) - y * y)")

# The fused cells' updates (FusedLSTMCell, LSTMStep and FusedGRUCell, in minigrad.nn): one
# launch forward and one backward per step instead of a dozen. A thread owns one (row, col)
# of the state and reads that column in every gate block of the row. The backward
# recomputes the gates from the node's inputs, which the tape keeps anyway: on a GPU a
# few exponentials cost less than allocating and filling arrays to save them in.
_LSTM_GATES = """
ptrdiff_t row = i / hidden, col = i % hidden;
ptrdiff_t k0 = row * 4 * hidden + col, k1 = k0 + hidden, k2 = k1 + hidden, k3 = k2 + hidden;
T in = minigrad_sigmoid(input_gates[k0] + hidden_gates[k0]);
T forget = minigrad_sigmoid(input_gates[k1] + hidden_gates[k1]);
T cand = tanh(input_gates[k2] + hidden_gates[k2]);
T out = minigrad_sigmoid(input_gates[k3] + hidden_gates[k3]);
T tanh_c = tanh(forget * c + in * cand);
"""
LSTM_FORWARD = KernelSource(
    "minigrad_lstm_forward",
    "raw T input_gates, raw T hidden_gates, T c, int32 hidden",
    "T h_new, T c_new",
    _LSTM_GATES + "c_new = forget * c + in * cand; h_new = out * tanh_c;",
    preamble=SIGMOID_DEVICE_FUNCTION,
)
LSTM_BACKWARD = KernelSource(
    "minigrad_lstm_backward",
    "raw T input_gates, raw T hidden_gates, T c, T gh, T gc, int32 hidden",
    "raw T grad, T gc_prev",
    _LSTM_GATES + """
    T gc_total = gc + gh * out * (T(1) - tanh_c * tanh_c);
    grad[k0] = gc_total * cand * in * (T(1) - in);
    grad[k1] = gc_total * c * forget * (T(1) - forget);
    grad[k2] = gc_total * in * (T(1) - cand * cand);
    grad[k3] = gh * tanh_c * out * (T(1) - out);
    gc_prev = gc_total * forget;
    """,
    preamble=SIGMOID_DEVICE_FUNCTION,
)
_GRU_GATES = """
ptrdiff_t row = i / hidden, col = i % hidden;
ptrdiff_t k0 = row * 3 * hidden + col, k1 = k0 + hidden, k2 = k1 + hidden;
T r = minigrad_sigmoid(input_gates[k0] + hidden_gates[k0]);
T z = minigrad_sigmoid(input_gates[k1] + hidden_gates[k1]);
T n = tanh(input_gates[k2] + r * hidden_gates[k2]);
"""
GRU_FORWARD = KernelSource(
    "minigrad_gru_forward",
    "raw T input_gates, raw T hidden_gates, T h, int32 hidden",
    "T h_new",
    _GRU_GATES + "h_new = h + z * (n - h);",
    preamble=SIGMOID_DEVICE_FUNCTION,
)
GRU_BACKWARD = KernelSource(
    "minigrad_gru_backward",
    "raw T input_gates, raw T hidden_gates, T h, T gh, int32 hidden",
    "raw T g_input, raw T g_hidden, T g_h",
    _GRU_GATES + """
    T g_n = gh * z * (T(1) - n * n);
    T g_r = g_n * hidden_gates[k2] * r * (T(1) - r);
    T g_z = gh * (n - h) * z * (T(1) - z);
    g_input[k0] = g_r; g_input[k1] = g_z; g_input[k2] = g_n;
    g_hidden[k0] = g_r; g_hidden[k1] = g_z; g_hidden[k2] = g_n * r;
    g_h = gh * (T(1) - z);
    """,
    preamble=SIGMOID_DEVICE_FUNCTION,
)
