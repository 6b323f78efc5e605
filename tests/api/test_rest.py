"""/api: ask with history and filters, the library, study packs, the token, admin changes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

from fastapi.testclient import TestClient

from tests.api.conftest import PASSWORD
from tests.conftest import NEW_ARTICLE

QUESTION = "东华村户籍人口有多少？"


def _without_timings(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k != "timings_ms"}


def test_ask_returns_the_json_of_the_cli(client, backend):
    response = client.post("/api/ask", json={"question": QUESTION})
    assert response.status_code == 200
    answer = response.json()
    assert "1867人" in answer["answer"] and not answer["refused"] and answer["citations"][0]["quote"]
    assert _without_timings(answer) == _without_timings(backend.chain.ask(QUESTION).to_dict())


def test_a_follow_up_reads_the_history(client):
    answer = client.post("/api/ask", json={"question": "那外来人员呢？", "history": [QUESTION]}).json()
    assert "8500人" in answer["answer"] and answer["standalone_question"] != "那外来人员呢？"


def test_filters_limit_the_passages_and_a_bad_date_is_rejected(client):
    body = {"question": "党建引领基层治理有哪些做法？", "filters": {"sources": ["新快报"]}, "k": 3}
    answer = client.post("/api/ask", json=body).json()
    shown = answer["nearest"] if answer["refused"] else answer["citations"]
    assert shown and {c["source"] for c in shown} == {"新快报"}
    bad = client.post("/api/ask", json={"question": QUESTION, "filters": {"date_from": "2023年"}})
    assert bad.status_code == 422 and "date_from" in bad.text


def test_concurrent_questions_get_the_answers_asked_alone(client):
    questions = [QUESTION, "党建引领基层治理有哪些做法？", "城中村治理有什么经验？"] * 4
    alone = {q: client.post("/api/ask", json={"question": q}).json()["answer"] for q in set(questions)}
    with ThreadPoolExecutor(max_workers=6) as pool:
        together = list(pool.map(lambda q: client.post("/api/ask", json={"question": q}).json()["answer"], questions))
    assert together == [alone[q] for q in questions]


def test_the_library_lists_articles_and_gives_one_whole(client, backend):
    listed = client.get("/api/articles").json()
    assert [a["doc_id"] for a in listed] == [a["doc_id"] for a in backend.articles()] and len(listed) >= 5
    assert all("text" not in a for a in listed)
    first = listed[0]
    article = client.get(f"/api/articles/{first['doc_id']}").json()
    assert article["title"] == first["title"] and len(article["text"]) > 200
    assert client.get("/api/articles/no-such-article").status_code == 404


def test_a_study_pack_comes_with_its_markdown(client):
    pack = client.post("/api/study", json={"topic": "城中村治理"}).json()
    assert pack["sources"] and pack["key_points"] and "城中村" in pack["markdown"]
    assert client.post("/api/study", json={"topic": " "}).status_code == 422


def test_the_api_needs_the_bearer_token(app):
    anonymous = TestClient(app)
    assert anonymous.get("/api/articles").status_code == 401
    assert anonymous.post("/v1/chat/completions", json={"messages": []}).status_code == 401
    wrong = TestClient(app, headers={"Authorization": "Bearer wrong"})
    assert wrong.post("/api/ask", json={"question": QUESTION}).status_code == 401
    assert anonymous.get("/docs").status_code == 200 and "/api/ask" in anonymous.get("/openapi.json").json()["paths"]


def test_upload_and_remove_need_the_admin_password(client, tmp_path):
    upload = ("白杨村.txt", NEW_ARTICLE.encode("utf-8"), "text/plain")
    assert client.post("/api/articles", files={"files": upload}).status_code == 403
    wrong = client.post("/api/articles", files={"files": upload}, headers={"X-Admin-Password": "wrong"})
    assert wrong.status_code == 403

    admin = {"X-Admin-Password": quote(PASSWORD)}
    [report] = client.post("/api/articles", files={"files": upload}, headers=admin).json()
    assert report["documents"] == 1
    doc_id = next(a["doc_id"] for a in client.get("/api/articles").json() if a["title"].startswith("白杨村"))
    assert "代办员17名" in client.post("/api/ask", json={"question": "白杨村有多少名红色代办员？"}).json()["answer"]

    assert client.delete(f"/api/articles/{doc_id}").status_code == 403
    assert client.delete(f"/api/articles/{doc_id}", headers=admin).json() == {"removed": [doc_id]}
    assert client.delete(f"/api/articles/{doc_id}", headers=admin).status_code == 404
    after = client.post("/api/ask", json={"question": "白杨村有多少名红色代办员？"}).json()
    assert "代办员17名" not in after["answer"]
