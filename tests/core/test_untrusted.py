"""Uploaded tokenizers, Hub names and typed paths, attacked the way the live server was.

Real worker processes and real `tokenizers` objects throughout (`core.sandbox`); the Hub is a
local socket that records whether anything connected (`HF_ENDPOINT`). Every attack must come back
as a typed sentence within about 3 s, while a thread of the test process keeps ticking.
"""

from __future__ import annotations

import json
import pickle
import socket
import threading
import time
from pathlib import Path

import pytest

from core import hub, settings
from core.errors import InvalidSetting, InvalidText, Refused, Unsafe
from core.sandbox import ENV_MEMORY_MB, ENV_SECONDS
from core.tokenizers import ByteLevelBPE
from core.tokenizers.external import MAX_JSON_BYTES, MAX_TEXT_CHARS, SANDBOX, from_json_bytes, from_pretrained


def spec(**parts) -> bytes:
    """A WordLevel tokenizer.json with some parts replaced."""
    data = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [], "normalizer": None,
            "pre_tokenizer": None, "post_processor": None, "decoder": None,
            "model": {"type": "WordLevel", "vocab": {"a": 0, "[UNK]": 1}, "unk_token": "[UNK]"}}
    return json.dumps({**data, **parts}).encode()


REDOS = spec(pre_tokenizer={"type": "Split", "pattern": {"Regex": "(a|aa)+$"}, "behavior": "Isolated",
                            "invert": False})  # the 332-byte file that froze the server for 8.9 s
GROWING = spec(normalizer={"type": "Sequence", "normalizers": [  # each step multiplies the text by 1000
    {"type": "Replace", "pattern": {"String": "a"}, "content": "a" * 1000}] * 4})
BAD_CHARSMAP = spec(normalizer={"type": "Precompiled", "precompiled_charsmap": "AAAAAAAA"})  # Rust panics
ATTACKS = {  # name: (tokenizer.json, text, error type, message)
    "backtracking regex": (REDOS, ("a" * 30 + "b") * 60, Unsafe, "longer than 2 s"),
    "regex retry limit (a Rust panic)": (REDOS, "a" * 34 + "b", InvalidText, "failed on that text"),
    "bad charsmap (a Rust panic)": (BAD_CHARSMAP, "a" * 32, InvalidText, "failed on that text"),
    "text that grows": (GROWING, "a", Unsafe, "more than 300 MB of memory"),
}


class Ticker:
    """Counts 10 ms sleeps in a thread: a frozen interpreter (a held GIL) stops the count."""

    def __enter__(self) -> "Ticker":
        self.count, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._tick)
        self._thread.start()
        return self

    def _tick(self) -> None:
        while not self._stop.is_set():
            time.sleep(0.01)
            self.count += 1

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def small_tokenizer() -> ByteLevelBPE:
    return ByteLevelBPE.train(["to be or not to be, that is the question"] * 20, 300)


@pytest.fixture
def workers_of_300_mb(monkeypatch):
    """Workers started with a 300 MB address space: a growing text reaches it in ~0.1 s, where
    1 GB took 0.4 s alone and over 2 s on a busy machine (then the time limit answered first)."""
    monkeypatch.setenv(ENV_MEMORY_MB, "300")
    SANDBOX.close()  # the next call starts workers with the new limit
    yield
    monkeypatch.undo()
    SANDBOX.close()


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_each_attack_is_a_sentence_within_3_s_while_the_server_keeps_running(attack, workers_of_300_mb):
    data, text, error, message = ATTACKS[attack]
    tokenizer = from_json_bytes(data, "attack.json")
    with Ticker() as ticker:
        start = time.monotonic()
        with pytest.raises(error, match=message):
            tokenizer.pieces(text)
        elapsed = time.monotonic() - start
    assert elapsed < 3.0
    assert ticker.count >= int(elapsed * 25)  # ~100 ticks a second when nothing holds the GIL
    assert [p.token for p in from_json_bytes(REDOS).pieces("a")] == ["a"]  # a worker serves again


def test_other_sessions_are_served_while_an_attack_runs():
    reference = small_tokenizer()
    good = from_json_bytes(reference.hf_json().encode(), "good.json")
    evil = from_json_bytes(REDOS, "evil.json")
    attack = threading.Thread(target=lambda: pytest.raises(Unsafe, evil.pieces, ("a" * 30 + "b") * 60))
    began = time.monotonic()
    attack.start()
    time.sleep(0.3)  # the attack holds one worker now
    slowest, wrong = [0.0], []

    def session(text: str) -> None:
        for _ in range(10):
            start = time.monotonic()
            if good.pieces(text) != reference.pieces(text):
                wrong.append(text)
            slowest[0] = max(slowest[0], time.monotonic() - start)

    sessions = [threading.Thread(target=session, args=(f"to be or not {i}",)) for i in range(4)]
    for thread in sessions:
        thread.start()
    for thread in sessions:
        thread.join()
    served = time.monotonic() - began
    attack.join()
    assert not wrong and slowest[0] < 1.0 and served < 1.5, (slowest, served)  # the attack runs 2 s


def test_an_upload_is_parsed_once_then_served_from_the_worker_cache():
    data = spec(model={"type": "WordLevel", "unk_token": "[UNK]",
                       "vocab": {"[UNK]": 0, **{f"word{i}": i + 1 for i in range(300_000)}}})
    start = time.monotonic()
    first = from_json_bytes(data, "big.json")
    parsing = time.monotonic() - start
    start = time.monotonic()
    again = from_json_bytes(data, "big.json")  # a rerun of the page: the same bytes, the same SHA-256
    rerun = time.monotonic() - start
    assert again.vocab_size == first.vocab_size == 300_001
    assert rerun < parsing / 5, (rerun, parsing)


def test_the_time_limit_is_a_setting(monkeypatch):
    monkeypatch.setenv(ENV_SECONDS, "0.5")
    tokenizer = from_json_bytes(REDOS)
    start = time.monotonic()
    with pytest.raises(Unsafe, match="longer than 0.5 s"):
        tokenizer.encode(("a" * 30 + "b") * 60)
    assert time.monotonic() - start < 1.5


@pytest.mark.parametrize("data, message", [
    (spec(model={"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["a", -1.0], ["a" * 20_000, -1.0]]}),
     "piece of 20,000 characters"),  # its lattice made encoding quadratic
    (b"{not json", "not a tokenizer.json"),
    (b"\xff\xfe", "not a tokenizer.json"),
    (spec(model={"type": "Foo"}), "that can be read here: data did not match any variant"),  # a wrong model type
    (spec(model={"type": "WordLevel", "vocab": {"a": "<img src=x onerror=alert(1)>"}, "unk_token": "a"}),
     "invalid type string img src=x onerror=alert 1"),  # the library quotes the file back: markup removed
    (spec(truncation={"direction": "[click](http://evil.example)", "max_length": 3, "strategy": "LongestFirst",
                      "stride": 0}), "unknown variant click http"),
])
def test_bad_files_are_refused_with_a_plain_sentence(data, message):
    with pytest.raises((InvalidText, Unsafe), match=message) as caught:
        from_json_bytes(data)
    text = str(caught.value)
    assert not any(mark in text for mark in ("<", ">", "](", "://")), text


def test_padding_from_the_file_cannot_ask_for_two_billion_tokens():
    data = spec(padding={"strategy": {"Fixed": 2_000_000_000}, "direction": "Right", "pad_to_multiple_of": None,
                         "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"})
    assert [p.token for p in from_json_bytes(data).pieces("a")] == ["a"]


def test_inputs_and_names_are_bounded_and_plain():
    reference = small_tokenizer()
    tokenizer = from_json_bytes(reference.hf_json().encode(), "[click](javascript:alert(1)) <b>.json")
    assert not any(mark in tokenizer.name for mark in ("<", "](", ":")), tokenizer.name
    assert tokenizer.algorithm == "hf-bpe" and tokenizer.vocab_size == reference.vocab_size
    ids = tokenizer.encode("to be or not")
    assert ids == reference.encode("to be or not") and tokenizer.decode(ids) == "to be or not"
    with pytest.raises(InvalidText, match="at most 100,000"):
        tokenizer.pieces("a" * (MAX_TEXT_CHARS + 1))
    with pytest.raises(InvalidSetting, match="none negative"):
        tokenizer.decode([-1])
    with pytest.raises(InvalidText, match="largest accepted is 20 MB"):
        from_json_bytes(b" " * (MAX_JSON_BYTES + 1))


# ---- the Hub ---------------------------------------------------------------------------------
@pytest.fixture
def endpoint(monkeypatch):
    """A local `HF_ENDPOINT` that records the first line of every request, then hangs up."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    requests: list[str] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(1)
                requests.append(connection.recv(4096).decode("latin-1").split("\r\n")[0])

    thread = threading.Thread(target=accept)
    thread.start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{listener.getsockname()[1]}")
    monkeypatch.delenv(hub.ENV_HUB, raising=False)
    monkeypatch.delenv(hub.ENV_HUB_ALLOW, raising=False)
    yield requests
    time.sleep(0.2)
    done.set()
    thread.join()
    listener.close()


def test_the_hub_is_off_by_default_and_nothing_connects(endpoint):
    with pytest.raises(Refused, match="turned off on this server.*Upload a tokenizer.json"):
        from_pretrained("gpt2")
    from core.lm.external import load_pretrained

    with pytest.raises(Refused, match="turned off on this server"):
        load_pretrained("openai-community/gpt2")
    time.sleep(0.3)
    assert endpoint == []


@pytest.mark.parametrize("name", ["gpt2 && ls", "<b>x</b>", "a--b", "x" * 120, "gpt2?revision=x", "-gpt2", "a/b."])
def test_names_are_checked_by_shape_before_anything(endpoint, monkeypatch, name):
    monkeypatch.setenv(hub.ENV_HUB, "1")
    monkeypatch.setenv(hub.ENV_HUB_ALLOW, name)  # even a host's list cannot admit a malformed name
    with pytest.raises(InvalidSetting, match="neither a Hub name") as caught:
        from_pretrained(name)
    assert name not in str(caught.value)
    assert endpoint == []


def test_only_allow_listed_names_are_fetched(endpoint, monkeypatch):
    monkeypatch.setenv(hub.ENV_HUB, "1")
    with pytest.raises(Refused, match="bert-base-uncased is not one of .*openai-community/gpt2"):
        from_pretrained("bert-base-uncased")
    monkeypatch.setenv(hub.ENV_HUB_ALLOW, "someone/tiny-llama")
    with pytest.raises(Refused, match=r"not one of the Hub models this server may fetch \(someone/tiny-llama\)"):
        from_pretrained("gpt2")
    assert endpoint == []


def test_an_allowed_name_asks_the_endpoint_for_its_file_list_first(endpoint, monkeypatch):
    monkeypatch.setenv(hub.ENV_HUB, "1")
    with pytest.raises(InvalidSetting, match="Could not fetch gpt2 from the Hugging Face Hub"):
        from_pretrained("GPT2")  # the allow-list's spelling is the one fetched
    time.sleep(0.3)
    assert any(line.startswith("GET /api/models/gpt2?") for line in endpoint), endpoint  # sizes, not files


def test_hub_policy_picks_safetensors_and_caps_the_download(monkeypatch):
    assert hub.model_files({"config.json": 600, "tokenizer.json": 2_000, "vocab.txt": 1, "flax_model.msgpack": 9,
                            "pytorch_model.bin": 9, "model.safetensors": 500}) == \
        ["config.json", "tokenizer.json", "model.safetensors"]
    shards = {"model-00002-of-00002.safetensors": 1, "model-00001-of-00002.safetensors": 1,
              "model.safetensors.index.json": 1, "config.json": 1, "tokenizer.json": 1}
    assert hub.model_files(shards)[-3:] == ["model.safetensors.index.json", "model-00001-of-00002.safetensors",
                                            "model-00002-of-00002.safetensors"]
    with pytest.raises(InvalidSetting, match="no safetensors"):
        hub.model_files({"config.json": 1, "tokenizer.json": 1, "pytorch_model.bin": 30_000_000})
    monkeypatch.setenv(settings.ENV_CACHE_MAX_MB, "100")
    monkeypatch.setenv(hub.ENV_HUB_MAX_MB, "5000")
    assert hub.max_bytes() == 100 * 2**20  # never more than the whole cache
    assert hub.folder() == settings.cache_dir() / "hub"
    hub.check_size(60 * 2**20, 40 * 2**20)
    with pytest.raises(Refused, match="needs 61 MB.*may hold 100 MB"):
        hub.check_size(61 * 2**20, 40 * 2**20)


# ---- local paths -----------------------------------------------------------------------------
@pytest.fixture
def roots(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "models"
    (root / "tiny").mkdir(parents=True)
    (root / "tiny" / "tokenizer.json").write_text(small_tokenizer().hf_json(), encoding="utf-8")
    monkeypatch.setenv(settings.ENV_MODEL_ROOTS, str(root))
    monkeypatch.delenv(hub.ENV_HUB, raising=False)
    return root


def test_paths_outside_the_roots_get_one_answer_without_being_looked_up(roots, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "loop").symlink_to(outside / "loop")  # resolving it would raise: it must not be resolved
    (outside / "tokenizer.json").write_text(small_tokenizer().hf_json(), encoding="utf-8")
    (roots / "escape").symlink_to(outside)  # a link inside a root that points out of it
    answers = set()
    for path in ["/etc/shadow", "/etc/no-such-file-here", str(outside / "loop"), str(outside / "loop" / "x"),
                 "../outside/tokenizer.json", "./escape", str(roots / "escape" / "tokenizer.json")]:
        with pytest.raises(InvalidSetting, match="outside the folders") as caught:
            from_pretrained(path)
        answers.add(str(caught.value))
    assert len(answers) == 1, answers
    assert str(tmp_path) not in answers.pop()


def test_a_local_folder_loads_and_messages_name_it_relative_to_its_root(roots, tmp_path):
    for text in [str(roots / "tiny"), "./tiny", "./tiny/tokenizer.json"]:
        assert from_pretrained(text).pieces("to be") == small_tokenizer().pieces("to be")
    with pytest.raises(InvalidSetting, match="no file or folder at `missing/deeper`") as caught:
        from_pretrained("./missing/deeper")
    with pytest.raises(InvalidSetting, match="no file or folder at `tiny/nested`"):
        from_pretrained("tiny/nested/")  # two slashes: a path, not a Hub name
    assert str(tmp_path) not in str(caught.value)


def test_a_bare_name_is_a_hub_name_even_where_a_folder_has_it(roots, tmp_path, monkeypatch):
    monkeypatch.chdir(roots)  # "tiny" exists here, and inside the root: the disk is not asked
    with pytest.raises(Refused, match="turned off"):
        from_pretrained("tiny")


def test_a_model_folder_is_checked_before_its_weights_load(roots):
    from core.lm.external import load_pretrained

    (roots / "tiny" / "config.json").write_text(json.dumps({"model_type": "bert"}), encoding="utf-8")
    with pytest.raises(InvalidSetting, match="Only GPT-2 and Llama"):
        load_pretrained("./tiny")  # no weights here at all: the config alone refuses it
    (roots / "tiny" / "config.json").write_text(json.dumps({"model_type": "gpt2", "n_layer": 1, "n_embd": 8,
                                                             "n_head": 2, "vocab_size": 300}), encoding="utf-8")
    marker = roots.parent / "unpickled"
    (roots / "tiny" / "pytorch_model.bin").write_bytes(pickle.dumps(_Trap(str(marker))))
    with pytest.raises(InvalidSetting, match="could not be loaded.*model.safetensors") as caught:
        load_pretrained("./tiny")
    assert not marker.exists() and str(roots) not in str(caught.value)


class _Trap:
    """Unpickling this writes a file: pickled weights must never be opened."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return open, (self.path, "w")
