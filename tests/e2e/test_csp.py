"""The admin works under the Content-Security-Policy: no page breaks one of its rules."""

import re

import pytest
from playwright.sync_api import expect

from cms.models import Post
from tests.e2e.conftest import login
from tests.factories import PASSWORD, PostFactory, UserFactory, png_file
from workflows import roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
    window.reportViolation({
        page: document.location.pathname,
        directive: event.violatedDirective,
        blocked: event.blockedURI,
        sample: event.sample,
    });
});
"""


def watched(browser, seen):
    """A browser page whose CSP violations, console errors and script errors land in seen."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})

    def report(violation):
        seen.append(violation)

    context.expose_function("reportViolation", report)
    context.add_init_script(REPORTER)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on(
        "console",
        lambda message: (
            message.type == "error" and seen.append({"page": page.url, "console": message.text})
        ),
    )
    page.on("pageerror", lambda error: seen.append({"page": page.url, "error": str(error)}))
    return page


def visit(page, url):
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    return response


def test_the_main_pages_raise_no_csp_violation(browser, live_server, tmp_path):
    UserFactory(username="camille", role=roles.COMMUNITY_MANAGER)
    UserFactory(username="alex", role=roles.ADMINISTRATOR)
    post = PostFactory(title="Fête de la musique")
    post.save_revision()
    seen = []
    page = watched(browser, seen)

    login_page = visit(page, f"{live_server.url}/admin/login/")
    policy = login_page.headers.get("content-security-policy", "")
    directives = {part.strip() for part in policy.split(";")}
    assert "script-src 'self'" in directives and "object-src 'none'" in directives
    login(page, live_server, "camille", PASSWORD)
    page.wait_for_load_state("networkidle")
    for path in (
        "/admin/",
        "/admin/snippets/cms/post/",
        "/admin/snippets/cms/post/add/",
        "/admin/publishing/calendar/?view=month",
        "/admin/publishing/calendar/?view=week",
        "/admin/publishing/calendar/?view=list",
        "/admin/sign-in/two-factor/",
        "/admin/sign-in/authenticator/",
    ):
        assert visit(page, f"{live_server.url}{path}").ok, path

    visit(page, f"{live_server.url}/admin/snippets/cms/post/edit/{post.pk}/")
    page.fill("#id_title", "Fête de la musique 2031")
    page.locator("footer button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    assert Post.objects.get(pk=post.pk).get_latest_revision().content["title"].endswith("2031")

    picture = tmp_path / "affiche.png"
    picture.write_bytes(png_file().file.getvalue())
    visit(page, f"{live_server.url}/admin/images/multiple/add/")
    page.set_input_files("input[type=file]", str(picture))
    expect(page.locator("#upload-list li").first).to_have_class(re.compile("upload-success"))
    page.wait_for_load_state("networkidle")

    admin = watched(browser, seen)
    login(admin, live_server, "alex", PASSWORD)
    for path in ("/admin/", "/admin/sign-in/security/", "/admin/users/"):
        assert visit(admin, f"{live_server.url}{path}").ok, path

    assert seen == []
