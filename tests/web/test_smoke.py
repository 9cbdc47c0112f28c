def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_login_then_home(web, make_user):
    user = make_user(email="someone@example.org")
    response = web.login(user.email, follow=True)
    assert response.status_code == 200
    assert "Welcome, " + user.full_name in response.get_data(as_text=True)
