"""UI security: auth, loopback bind by default, concurrent users while ingesting."""

import threading

import httpx
import pytest

from rag import Corpus, Settings, ingest

from .conftest import SEED, free_port


@pytest.fixture(scope="module")
def secured(tmp_path_factory, embedder):
    from ui.app import launch

    d = tmp_path_factory.mktemp("sec")
    settings = Settings(data_dir=d / "data", ui_auth="analyst:s3cret")
    corpus = Corpus(settings, embedder=embedder)
    ingest(corpus, [str(SEED)])
    demo, url = launch(settings, "127.0.0.1", free_port(), block=False, corpus=corpus)
    yield url.rstrip("/"), d
    demo.close()


def test_requests_without_credentials_are_rejected(secured):
    url, _ = secured
    assert httpx.get(f"{url}/config", timeout=10).status_code == 401
    r = httpx.post(f"{url}/gradio_api/call/ask", json={"data": ["Which Iraqi army divisions are named?", [], "", ""]}, timeout=10)
    assert r.status_code in (401, 403)
    bad = httpx.post(f"{url}/login", data={"username": "analyst", "password": "wrong"}, timeout=10)
    assert bad.status_code in (400, 401)


def test_client_with_credentials_works(secured):
    from gradio_client import Client

    url, _ = secured
    client = Client(url, auth=("analyst", "s3cret"), verbose=False)
    result = client.predict("Which Iraqi army divisions are named?", [], "", "", api_name="/ask")
    assert "fifth" in result["answer"]


def test_default_bind_is_loopback_and_auth_parsing():
    from rag.errors import RagError
    from ui.app import parse_auth

    assert Settings().ui_host == "127.0.0.1"
    assert parse_auth("a:b:c") == ("a", "b:c")
    with pytest.raises(RagError):
        parse_auth("nopassword")


def test_concurrent_users_while_ingesting(secured, tmp_path):
    from gradio_client import Client, handle_file

    url, _ = secured
    question = "Which Iraqi army divisions are named?"
    answers, errors = [], []

    def user():
        try:
            c = Client(url, auth=("analyst", "s3cret"), verbose=False)
            answers.append(c.predict(question, [], "", "", api_name="/ask")["answer"])
        except Exception as exc:  # counted, then asserted
            errors.append(repr(exc))

    f = tmp_path / "extra.txt"
    f.write_text("Storm update\nThe storm moved north on Sunday and power returned to 20,000 homes, officials said.")

    def ingester():
        try:
            c = Client(url, auth=("analyst", "s3cret"), verbose=False)
            rows = c.predict([handle_file(str(f))], api_name="/ingest")
            assert rows[0][1] in ("ingested", "unchanged"), rows
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=user) for _ in range(6)] + [threading.Thread(target=ingester)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert errors == []
    assert len(answers) == 6 and len(set(answers)) == 1 and "fifth" in answers[0]


def test_a_logged_in_user_cannot_make_the_server_read_its_own_files(secured, tmp_path):
    """Raw API calls naming server paths (absolute, .., symlinked, file= and http URLs) are refused."""
    from .uploads import assert_server_files_refused

    url, _ = secured
    with httpx.Client() as client:
        assert client.post(f"{url}/login", data={"username": "analyst", "password": "s3cret"}, timeout=10).status_code == 200
        assert_server_files_refused(client, url, tmp_path, "not a file uploaded to this app")
