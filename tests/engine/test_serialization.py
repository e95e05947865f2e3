"""mg.save / mg.load: round trips, unsafe and broken files, atomic writes."""

import os
import zipfile

import numpy as np
import pytest

import minigrad as mg
from minigrad import archive, nn, serialization


def assert_same_tree(loaded, expected):
    """Same keys in the same order; arrays equal in dtype, shape and values; values equal."""
    assert type(loaded) is type(expected)
    if isinstance(expected, dict):
        assert list(loaded) == list(expected)
        for key in expected:
            assert_same_tree(loaded[key], expected[key])
    elif isinstance(expected, np.ndarray):
        assert (loaded.dtype, loaded.shape) == (expected.dtype, expected.shape)
        np.testing.assert_array_equal(loaded, expected)
    else:
        assert loaded == expected


def checkpoint():
    """A model's and an optimiser's state, with awkward keys and every type of leaf."""
    w = mg.randn(3, 2, requires_grad=True)
    opt = mg.optim.Adam([w], lr=0.01)
    w.grad = mg.ones(3, 2)
    opt.step()
    return {
        "model": {
            "lstm.weight_ih_l0": w.data,
            "counts": mg.arange(4).data,
            "mask": (w > 0).data,
            "double": mg.zeros(2, dtype=mg.float64).data,
            "scalar": mg.tensor(1.5).data,
            "empty": mg.zeros(0, 3).data,
        },
        "optim": opt.state_dict(),
        "epoch": 7, "loss": 0.25, "best": True, "note": "héllo", "schedule": None,
        "history": [0.5, 0.25], "milestones": [10, 20], "nothing_yet": {},
        "a/b": 1, "x:int": 2, "50%": 3, "": 4, "file": 5, "allow_pickle": 6,
    }


def host(tree):
    """What mg.load gives back for ``tree``: host arrays, lists for tuples."""
    if isinstance(tree, dict):
        return {key: host(value) for key, value in tree.items()}
    if isinstance(tree, tuple):
        return list(tree)
    backend = mg.backends.of(tree)
    return tree if backend is None else backend.to_host(tree)


# ---- round trips -----------------------------------------------------------------------------


def test_round_trip_of_model_and_optimiser_state(backend, tmp_path):
    state = checkpoint()
    mg.save(state, tmp_path / "checkpoint.npz")
    assert_same_tree(mg.load(tmp_path / "checkpoint.npz"), host(state))


def test_a_model_saved_on_any_backend_loads_into_a_model_on_any_backend(backend, tmp_path):
    mg.manual_seed(0)
    saved = nn.GRU(3, 4, num_layers=2, backend=backend)
    mg.save({"model": saved.state_dict()}, tmp_path / "c.npz")
    for target in ("numpy", backend):
        mg.manual_seed(1)   # other initial values, which loading must overwrite
        model = nn.GRU(3, 4, num_layers=2, backend=target)
        params = list(model.parameters())
        model.load_state_dict(mg.load(tmp_path / "c.npz")["model"])
        for (name, p), q, same in zip(saved.named_parameters(), model.parameters(), params,
                                      strict=True):
            assert q is same and q.backend == target, name   # loaded in place, not moved
            np.testing.assert_array_equal(q.numpy(), p.numpy(), err_msg=name)


def test_arrays_are_readable_with_numpy_alone(tmp_path):
    mg.save({"model": {"lstm.weight_ih_l0": np.eye(2)}}, tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz", allow_pickle=False) as archive:
        np.testing.assert_array_equal(archive["model/lstm.weight_ih_l0"], np.eye(2))


def test_path_is_used_exactly_as_given(tmp_path):
    mg.save({"x": 1}, str(tmp_path / "checkpoint"))
    assert os.listdir(tmp_path) == ["checkpoint"]
    assert mg.load(str(tmp_path / "checkpoint")) == {"x": 1}


@pytest.mark.parametrize("text", ["ab\x00", "\x00", "", "a\x00b", "😀", "\ud800"])
def test_strings_round_trip_exactly(tmp_path, text):
    # A NumPy unicode array drops trailing NUL characters.
    mg.save({"s": text}, tmp_path / "c.npz")
    assert mg.load(tmp_path / "c.npz") == {"s": text}


def test_files_of_format_version_1_still_load(tmp_path):
    # Version 1 wrote the bare version, no count of entries, and a str as 0-d unicode.
    path = tmp_path / "v1.npz"
    np.savez(path, **{serialization.FORMAT_ENTRY: np.array(1), "model/w": np.eye(2),
                      "note:str": np.array("héllo"), "epoch:int": np.array(4)})
    assert_same_tree(mg.load(path), {"model": {"w": np.eye(2)}, "note": "héllo", "epoch": 4})


@pytest.mark.parametrize("value", [
    mg.tensor([[1.5, -2.0]], dtype=mg.float64), np.arange(3), 7, 2.5, "text", None, [1, 2], {},
], ids=["tensor", "array", "int", "float", "str", "none", "list", "empty dict"])
def test_a_value_saved_alone_loads_as_it_was_saved(tmp_path, value):
    # torch.save(tensor, f) and torch.load(f), as PyTorch scripts write them.
    path = tmp_path / "value.pt"
    mg.save(value, path)
    loaded = mg.load(path)
    assert type(loaded) is type(value)
    if isinstance(value, mg.Tensor):
        assert loaded.dtype == value.dtype and loaded.backend == "numpy"
        np.testing.assert_array_equal(loaded.numpy(), value.numpy())
    elif isinstance(value, np.ndarray):
        np.testing.assert_array_equal(loaded, value)
    else:
        assert loaded == value


def test_tensors_in_a_dict_load_as_tensors_and_a_key_spelt_like_the_alone_entry_is_a_key(
        backend, tmp_path):
    checkpoint = {"embedding": mg.ones(2, 3), "%value": 4, "epoch": 2}
    mg.save(checkpoint, tmp_path / "c.npz")
    loaded = mg.load(tmp_path / "c.npz", map_location=mg.device(backend), weights_only=True)
    assert loaded["embedding"].backend == backend
    assert set(loaded) == {"embedding", "%value", "epoch"} and loaded["%value"] == 4
    assert isinstance(loaded["embedding"], mg.Tensor) and loaded["embedding"].shape == (2, 3)


def test_save_replaces_an_existing_file(tmp_path):
    path = tmp_path / "c.npz"
    mg.save({"version": 1}, path)
    mg.save({"version": 2}, path)
    assert mg.load(path) == {"version": 2} and os.listdir(tmp_path) == ["c.npz"]


# ---- what save refuses -----------------------------------------------------------------------


@pytest.mark.parametrize("obj, error, words", [
    ({"model": {"w": object()}}, TypeError, "key 'model/w'"),
    ({"model": {"w": object()}}, TypeError, "got object"),
    ({"w": np.array([None])}, TypeError, "got dtype object"),
    ({"w": {1.5}}, TypeError, "got set"),
    ({"w": [1, "two"]}, TypeError, "list of numbers at key 'w'"),
    ({"w": {3: 1.0}}, TypeError, "int key 3 under 'w'"),
    ({"w": 2 ** 70}, ValueError, "fit in int64 at key 'w'"),
    ([np.zeros(2)], TypeError, "flat list of numbers at key '(a value saved alone)'"),
])
def test_save_names_the_key_and_type_it_cannot_store(tmp_path, obj, error, words):
    with pytest.raises(error) as info:
        mg.save(obj, tmp_path / "c.npz")
    assert words in str(info.value)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("interruption", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_an_interrupted_save_keeps_the_old_file_and_leaves_no_temporary(
        tmp_path, monkeypatch, interruption):
    path = tmp_path / "c.npz"
    mg.save({"version": 1}, path)
    old_bytes = path.read_bytes()
    write_array = archive.npy_format.write_array

    def write_then_fail(member, array, **options):
        write_array(member, array, **options)      # the first entry is written in full...
        member.write(b"half an entry")
        raise interruption                          # ...then the writer dies midway

    monkeypatch.setattr(archive.npy_format, "write_array", write_then_fail)
    with pytest.raises(type(interruption)):
        mg.save({"version": 2, "weights": np.ones(1000)}, path)
    assert path.read_bytes() == old_bytes
    assert os.listdir(tmp_path) == ["c.npz"]


def test_a_failed_rename_leaves_no_temporary(tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(OSError):
        mg.save({"x": 1}, tmp_path / "taken")
    assert os.listdir(tmp_path) == ["taken"]


# ---- what load refuses -----------------------------------------------------------------------


class Payload:
    """Unpickling this creates the file ``marker``: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return open, (self.marker, "w")


def test_pickled_objects_are_refused_without_running_them(tmp_path):
    path, marker = tmp_path / "evil.npz", tmp_path / "code-ran"
    np.savez(path, **{serialization.FORMAT_ENTRY: np.array(1),
                      "w": np.array([Payload(str(marker))], dtype=object)})
    with pytest.raises(mg.SerializationError) as info:
        mg.load(path)
    assert "'w'" in str(info.value) and str(path) in str(info.value)
    assert not marker.exists()
    # The payload is real: NumPy with pickling allowed runs it.
    with np.load(path, allow_pickle=True) as archive:
        archive["w"][0].close()
    assert marker.exists()


def saved_bytes(tmp_path):
    mg.save({"model": {"w": np.arange(100.0)}, "step": 3}, tmp_path / "good.npz")
    return (tmp_path / "good.npz").read_bytes()


@pytest.mark.parametrize("keep", [0, 3, 40, 0.5, -20], ids=lambda k: f"keep={k}")
def test_a_truncated_file_is_a_clear_error(tmp_path, keep):
    data = saved_bytes(tmp_path)
    keep = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    path = tmp_path / "truncated.npz"
    path.write_bytes(data[:keep])
    with pytest.raises(mg.SerializationError, match="expected .*npz archive") as info:
        mg.load(path)
    assert str(path) in str(info.value) and isinstance(info.value, ValueError)


def test_a_corrupted_entry_is_a_clear_error(tmp_path):
    data = bytearray(saved_bytes(tmp_path))
    data[data.index(np.arange(100.0).tobytes()) + 400] ^= 0xFF     # inside the weights
    (tmp_path / "corrupt.npz").write_bytes(bytes(data))
    with pytest.raises(mg.SerializationError, match="corrupt"):
        mg.load(tmp_path / "corrupt.npz")


def test_an_entry_lost_from_the_archive_directory_is_a_clear_error(tmp_path):
    mg.save({"a": 1, "b": 2}, tmp_path / "c.npz")
    # What a damaged central directory does: one member disappears from the listing.
    with zipfile.ZipFile(tmp_path / "c.npz") as full, \
            zipfile.ZipFile(tmp_path / "lost.npz", "w") as lost:
        for member in full.namelist():
            if member != "b:int.npy":
                lost.writestr(member, full.read(member))
    with pytest.raises(mg.SerializationError, match="expected 3 entries in .* got 2"):
        mg.load(tmp_path / "lost.npz")


@pytest.mark.parametrize("mask", [0x01, 0x80], ids=hex)
def test_every_flipped_bit_loads_the_saved_value_or_is_a_clear_error(tmp_path, mask):
    # Flipped header bits used to surface as zipfile's RuntimeError ("encrypted") or
    # NotImplementedError ("compression method"), or to hide entries silently.
    state = {"model": {"w": np.arange(3.0)}, "step": 3, "note": "ab"}
    mg.save(state, tmp_path / "good.npz")
    data, path = (tmp_path / "good.npz").read_bytes(), tmp_path / "flipped.npz"
    for position in range(len(data)):
        flipped = bytearray(data)
        flipped[position] ^= mask
        path.write_bytes(flipped)
        try:
            loaded = mg.load(path)
        except mg.SerializationError:
            continue
        assert_same_tree(loaded, state)


@pytest.mark.parametrize("write, words", [
    (lambda file: np.savez(file, weights=np.ones(2)), "without a 'minigrad:format' entry"),
    (lambda file: np.savez(file, **{serialization.FORMAT_ENTRY: np.array(99)}), "got 99"),
    (lambda file: np.save(file, np.ones(2)), r"got a file starting with b'\x93NUM'"),
    (lambda file: file.write(b"epoch,loss\n1,0.5\n"), "got a file starting with b'epoc'"),
], ids=["other-npz", "newer-format", "npy", "csv"])
def test_a_foreign_file_is_a_clear_error(tmp_path, write, words):
    path = tmp_path / "foreign"
    with open(path, "wb") as file:
        write(file)
    with pytest.raises(mg.SerializationError) as info:
        mg.load(path)
    assert words in str(info.value) and str(path) in str(info.value)


def test_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing-here.npz"):
        mg.load(tmp_path / "nothing-here.npz")


def test_saving_into_a_missing_directory_or_onto_a_directory_names_the_path(tmp_path):
    missing = tmp_path / "missing" / "model.npz"
    with pytest.raises(FileNotFoundError, match="^save: the directory .*missing' to write "
                                                "'model.npz' in does not exist$"):
        mg.save({"a": 1}, missing)
    for directory in (tmp_path, f"{tmp_path}{os.sep}"):
        with pytest.raises(IsADirectoryError, match="^save: expected a file path, got the "
                                                    "directory "):
            mg.save({"a": 1}, directory)
    assert list(tmp_path.iterdir()) == []
