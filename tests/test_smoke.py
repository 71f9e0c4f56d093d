def test_home_page_renders_for_a_visitor(client, site):
    response = client.get("/")
    assert response.status_code == 200
    assert b"<h1>Home</h1>" in response.content
