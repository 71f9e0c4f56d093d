from django.urls import reverse

from tests.utils import assert_in_html, assert_tag_in_html, find_one, text_of


def test_home_page_renders_for_a_visitor(client, site):
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert text_of(find_one(response, "main h1")) == "Home"

    # The corner login box: a form to log in with, and the ways on from there.
    box = find_one(response, ".avs-login-box")
    form = find_one(box, "form")
    assert (form["method"], form["action"]) == ("post", reverse("avsoft_support:login"))
    assert_in_html('<label for="avs-login-box-username">Username or e-mail</label>', form)
    assert_tag_in_html(
        '<input type="text" name="username" id="avs-login-box-username" required>', form
    )
    assert_in_html('<label for="avs-login-box-password">Password</label>', form)
    assert_tag_in_html(
        '<input type="password" name="password" id="avs-login-box-password" required>', form
    )
    assert_in_html('<input type="hidden" name="next" value="/">', form)
    assert_in_html('<button type="submit">Log in</button>', form)
    assert [(link["href"], text_of(link)) for link in box.select(".avs-login-box__links a")] == [
        (reverse("avsoft_support:password_reset"), "Forgot password?"),
        (reverse("avsoft_support:register"), "Register"),
    ]
