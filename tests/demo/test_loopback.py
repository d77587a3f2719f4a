"""The loopback transport moves a real URL onto the replica's origin without parsing it again."""

from __future__ import annotations

import httpx
import pytest

from series_archiver.demo.loopback import LoopbackTransport, _moved


@pytest.mark.parametrize(
    "url",
    [
        "https://www.takungpao.com/news/232108/2024/0101/1.html",
        "https://www.takungpao.com/a/b.html?x=1&y=%E4%B8%AD#top",
        "http://www.takungpao.com:8080/%E4%B8%AD%E6%96%87/",
    ],
)
def test_moved_is_copy_with(url: str) -> None:
    base = httpx.URL("http://127.0.0.1:8123")
    original = httpx.URL(url)
    moved = _moved(original, base)
    assert moved == original.copy_with(scheme=base.scheme, host=base.host, port=base.port)
    assert (moved.raw_path, moved.port, moved.host) == (original.raw_path, 8123, "127.0.0.1")
    assert str(original) == url  # the original is left as it was


def test_requests_reach_the_replica_with_the_real_host() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    transport = LoopbackTransport({"https://www.takungpao.com": "http://127.0.0.1:8123"}, inner=httpx.MockTransport(answer))
    with httpx.Client(transport=transport) as client:
        response = client.get(httpx.URL("https://www.takungpao.com/a.html?q=1"))
        with pytest.raises(httpx.ConnectError):
            client.get("https://example.org/")
    assert response.status_code == 204
    assert str(response.url) == "https://www.takungpao.com/a.html?q=1"
    assert str(seen[0].url) == "http://127.0.0.1:8123/a.html?q=1"
    assert seen[0].headers["host"] == "www.takungpao.com"
