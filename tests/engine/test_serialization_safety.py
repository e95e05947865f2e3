"""mg.save / mg.load against files that lie, files that are not files, and killed saves."""

import io
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

import minigrad as mg
from minigrad import archive, nn, serialization


def saved(tmp_path, state, name="good.npz"):
    path = tmp_path / name
    mg.save(state, path)
    return path, bytearray(path.read_bytes())


def refused(path, *words):
    """Load ``path``, expecting a SerializationError whose message holds ``words``."""
    with pytest.raises(mg.SerializationError) as info:
        mg.load(path)
    for word in (str(path), *words):
        assert word in str(info.value)
    return str(info.value)


def traced_peak(action):
    """The peak of traced memory while ``action()`` runs, in bytes."""
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def header_of(data, text):
    """Where ``text`` stands in the (only) .npy header that holds it."""
    position = data.index(text.encode())
    assert data.count(text.encode()) == 1
    return position


# ---- entries that lie about themselves -------------------------------------------------------


def test_a_flipped_bit_in_a_large_entry_fails_its_checksum(tmp_path):
    # Entries over 4 KiB were read only up to the size their header declares, so the
    # reader never reached the end where the zip checksum is verified.
    weights = np.arange(5000, dtype=np.float32)
    path, data = saved(tmp_path, {"w": weights})
    data[data.index(weights.tobytes()) + 9000] ^= 0x01
    path.write_bytes(data)
    refused(path, "'w'", "corrupt")


def forged(tmp_path, before, after, size=64):
    """A file whose entry ``w`` has ``before`` changed to ``after`` in its .npy header.

    The archive is written anew around the changed entry, so its checksum holds: only
    the checks of the header itself can catch the lie.
    """
    entry = io.BytesIO()
    np.save(entry, np.ones(size))
    data = entry.getvalue()
    start = data.index(before)
    end = data.index(b"\n")
    header = data[:start] + after + data[start + len(before):end]
    data = header + b" " * (end - len(header)) + data[end:]   # the header keeps its length
    path = tmp_path / "forged.npz"
    with zipfile.ZipFile(path, "w") as archive:
        format_entry = io.BytesIO()
        np.save(format_entry, np.array([serialization.FORMAT_VERSION, 2]))
        archive.writestr(serialization.FORMAT_ENTRY + ".npy", format_entry.getvalue())
        archive.writestr("w.npy", data)
    return path


@pytest.mark.parametrize("before, after", [(b"(100,)", b"(000,)"), (b"(64,)", b"(44,)")])
def test_a_shape_changed_in_the_header_is_refused(tmp_path, before, after):
    size = int(before[1:-2])
    refused(forged(tmp_path, before, after, size), "'w'",
            f"declares shape ({int(after[1:-2])},)", f"holds {8 * size} bytes")


def test_a_changed_header_that_breaks_the_checksum_is_refused(tmp_path):
    path, data = saved(tmp_path, {"w": np.ones(64)})
    position = header_of(data, "(64,)")
    data[position:position + 5] = b"(44,)"
    path.write_bytes(data)
    refused(path, "'w'", "corrupt")


def test_a_huge_declared_shape_is_refused_before_anything_is_allocated(tmp_path):
    path = forged(tmp_path, b"(64,)", b"(1099511627776,)")
    assert traced_peak(lambda: refused(path, "declares shape (1099511627776,)")) < 2**20


@pytest.mark.parametrize("before, after", [
    (b"'<f8'", b"'<f8 "), (b"(64,)", b"(64,,"), (b"(64,)", b"(-4,)"), (b"'<f8'", b"'|O8'"),
])
def test_a_malformed_header_is_a_serialization_error(tmp_path, before, after):
    refused(forged(tmp_path, before, after), "'w'")


def test_sizes_the_directory_declares_beyond_the_file_are_refused_unread(tmp_path):
    path, data = saved(tmp_path, {"w": np.ones(8)})
    directory = data.index(b"PK\x01\x02", data.index(b"w.npy") + 1)
    data[directory + 20:directory + 28] = (2**28).to_bytes(4, "little") * 2   # 256 MiB each
    path.write_bytes(data)
    assert traced_peak(lambda: refused(path, "more than the file's")) < 2**20


def test_only_the_uncompressed_npy_entries_save_writes_are_accepted(tmp_path):
    compressed = tmp_path / "compressed.npz"
    np.savez_compressed(compressed, **{serialization.FORMAT_ENTRY: np.array([2, 2]),
                                       "w": np.ones(3)})
    refused(compressed, "uncompressed", "savez_compressed")
    other = tmp_path / "other.npz"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.txt", "hello")
    refused(other, "'readme.txt'")


def test_the_payload_of_a_load_is_allocated_once():
    weights = np.ones(2**20)   # 8 MiB
    buffer = io.BytesIO()
    mg.save({"w": weights}, buffer)
    loaded = {}
    assert traced_peak(lambda: loaded.update(mg.load(buffer))) < weights.nbytes + 2**20
    np.testing.assert_array_equal(loaded["w"], weights)


def test_random_damage_loads_the_saved_values_or_is_a_serialization_error(tmp_path):
    """A bounded mutation fuzzer: flips, overwrites, cuts and insertions at random places."""
    state = {"model": {"w": np.arange(40.0).reshape(5, 8), "b": np.ones(3, np.float32)},
             "step": 3, "note": "ab", "history": [1.0, 2.0]}
    _, data = saved(tmp_path, state)
    path, rng = tmp_path / "mutant.npz", random.Random(0)
    deadline = time.monotonic() + 20
    for _ in range(1500):
        mutant = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(mutant))
            kind = rng.randrange(4)
            if kind == 0:
                mutant[at] ^= 1 << rng.randrange(8)
            elif kind == 1:
                mutant[at] = rng.randrange(256)
            elif kind == 2:
                del mutant[at:at + rng.randint(1, 16)]
            else:
                mutant[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        path.write_bytes(mutant)
        try:
            loaded = mg.load(path)
        except mg.SerializationError:
            continue
        assert list(loaded) == list(state)
        np.testing.assert_array_equal(loaded["model"]["w"], state["model"]["w"])
        assert loaded["step"] == 3 and loaded["note"] == "ab"
        if time.monotonic() > deadline:
            break


# ---- paths that are not plain files ----------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    code = (f"import minigrad as mg\ntry:\n    mg.load({str(fifo)!r})\n"
            "except mg.SerializationError as e:\n    print(e)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert "expected a regular file" in done.stdout and "named pipe" in done.stdout


def test_a_directory_is_refused(tmp_path):
    refused(tmp_path, "expected a regular file", "a directory")


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files in /proc")
def test_files_are_closed_after_every_failure(tmp_path):
    path, data = saved(tmp_path, {"w": np.ones(64)})
    damaged = [bytes(data[:30]), bytes(data).replace(b"(64,)", b"(44,)"), b"PK\x03\x04junk"]
    before = len(os.listdir("/proc/self/fd"))
    for content in damaged * 5:
        path.write_bytes(content)
        with pytest.raises(mg.SerializationError):
            mg.load(path)
    assert len(os.listdir("/proc/self/fd")) == before


# ---- file objects and what save refuses ------------------------------------------------------


def test_file_objects_round_trip(tmp_path):
    state = {"w": np.arange(6.0).reshape(2, 3), "step": 4}
    buffer = io.BytesIO()
    mg.save(state, buffer)
    buffer.seek(0)
    assert mg.load(buffer)["step"] == 4
    with open(tmp_path / "c.npz", "wb") as file:
        mg.save(state, file)
    with open(tmp_path / "c.npz", "rb") as file:
        np.testing.assert_array_equal(mg.load(file)["w"], state["w"])


def test_an_unseekable_stream_loads():
    buffer = io.BytesIO()
    mg.save({"step": 4}, buffer)

    class Stream(io.RawIOBase):
        def __init__(self, data):
            self.data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, target):
            return self.data.readinto(target)

    assert mg.load(io.BufferedReader(Stream(buffer.getvalue())))["step"] == 4


def test_saving_a_module_or_an_optimiser_says_to_save_its_state_dict(tmp_path):
    model = nn.Linear(2, 3)
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    scheduler = mg.optim.lr_scheduler.StepLR(optimizer, 2)
    for obj, name in ((model, "model"), (optimizer, "optimizer"), (scheduler, "scheduler")):
        with pytest.raises(TypeError, match=rf"save its state dict, "
                                            rf"mg.save\({name}.state_dict\(\), f\), and load "
                                            rf"it into a new one with {name}.load_state_dict"):
            mg.save(obj, tmp_path / "m.npz")
    assert os.listdir(tmp_path) == []


# ---- saves: permissions, links, long names, leftovers ----------------------------------------


def test_an_overwritten_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "private.npz"
    mg.save({"v": 1}, path)
    os.chmod(path, 0o600)
    mg.save({"v": 2}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and mg.load(path) == {"v": 2}


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_symbolic_link_is_written_through(tmp_path):
    (tmp_path / "runs").mkdir()
    target, link = tmp_path / "runs" / "real.npz", tmp_path / "latest.npz"
    mg.save({"v": 1}, target)
    link.symlink_to(target)
    mg.save({"v": 2}, link)
    assert link.is_symlink() and mg.load(target) == {"v": 2}
    assert sorted(os.listdir(tmp_path / "runs")) == ["real.npz"]


def test_a_name_that_fits_the_file_system_saves(tmp_path):
    path = tmp_path / ("m" * 236 + ".npz")   # 240 characters
    mg.save({"v": 1}, path)
    assert mg.load(path) == {"v": 1}


def a_dead_pid():
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, timeout=60)
    return int(done.stdout)


def test_a_save_removes_only_the_stale_temporaries_of_killed_saves(tmp_path):
    host = archive._HOST
    stale = tmp_path / f".minigrad-save-{host}-{a_dead_pid()}-0123456789ab.tmp"
    running = tmp_path / f".minigrad-save-{host}-{os.getpid()}-0123456789ab.tmp"
    elsewhere = tmp_path / f".minigrad-save-ffffff-{a_dead_pid()}-0123456789ab.tmp"
    foreign = tmp_path / ".model.npz.0123456789ab.tmp"
    for path in (stale, running, elsewhere, foreign):
        path.write_bytes(b"PK\x03\x04half")
    if host == "ffffff":
        pytest.skip("this host's hash is the one used for another host")
    mg.save({"v": 1}, tmp_path / "model.npz")
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["model.npz", running.name, elsewhere.name, foreign.name])


KILLED_SAVER = textwrap.dedent("""
    import sys
    import numpy as np
    import minigrad as mg
    path = sys.argv[1]
    print("ready", flush=True)
    for i in range(10 ** 6):
        mg.save({"i": i, "w": np.full(2 ** 18, float(i))}, path)
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_save_killed_midway_leaves_a_whole_file_and_the_next_save_cleans_up(tmp_path):
    path = tmp_path / "checkpoint.npz"
    for delay in (0.3, 0.55, 0.8):
        saver = subprocess.Popen([sys.executable, "-c", KILLED_SAVER, str(path)],
                                 stdout=subprocess.PIPE, text=True)
        try:
            assert saver.stdout.readline() == "ready\n"
            time.sleep(delay)
        finally:
            saver.kill()
            saver.wait(timeout=60)
        if path.exists():   # the old file or the new one, whole
            state = mg.load(path)
            assert (state["w"] == state["i"]).all()
    mg.save({"done": True}, path)
    assert os.listdir(tmp_path) == ["checkpoint.npz"]
