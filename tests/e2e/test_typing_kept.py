"""Never lose what is being typed: a save that comes back while the inspector is typing in a
note of the same item must not replace the typed text (the item fragment is swapped whole)."""
import pytest
from playwright.sync_api import expect

from webapp.inspection.models import Answer, Record, Status

from .conftest import sign_in

pytestmark = pytest.mark.e2e


def test_text_typed_during_a_save_is_kept_and_saved(live_server, page):
    record = Record.select().where(Record.status == int(Status.DRAFT)).order_by(Record.id).first()
    sign_in(page, live_server, "ts_jdy1")
    answered = {a.item_key for a in Answer.select().where(Answer.record == record.id)}
    page.goto(f"{live_server}/inspection/records/{record.id}")
    page.wait_for_load_state("load")
    # a section with an unanswered item
    hrefs = page.eval_on_selector_all(".overview a.progress", "els => els.map(e => e.getAttribute('href'))")
    for href in hrefs:
        page.goto(live_server + href)
        if page.locator("article.item:not(.answered)").count():
            break
    item = page.locator("article.item:not(.answered)").first
    assert item.get_attribute("data-item") not in answered
    key = item.get_attribute("data-item")
    item_id = item.get_attribute("id")

    held = []  # the answer save is held back until the inspector has typed
    page.route(f"**/items/{key}", lambda route: held.append(route) if route.request.method == "POST" and not held else route.continue_())
    item.locator("label.choice-pass").click()
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the save request was not sent"
    note = page.locator(f"#{item_id} textarea[name=note]")
    note.click()
    note.type("现场另见消毒记录不全")

    held[0].continue_()  # the save of the radio click now returns and the item is swapped
    page.wait_for_selector(f"#{item_id}.answered")
    note = page.locator(f"#{item_id} textarea[name=note]")
    expect(note).to_have_value("现场另见消毒记录不全")
    expect(note).to_be_focused()
    note.type("，已拍照")
    page.locator("h1").click()  # leaving the field saves it
    expect(page.locator(f"#{item_id} textarea[name=note]")).to_have_value("现场另见消毒记录不全，已拍照")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    for _ in range(50):
        ans = Answer.get_or_none((Answer.record == record.id) & (Answer.item_key == key))
        if ans is not None and ans.note == "现场另见消毒记录不全，已拍照":
            break
        page.wait_for_timeout(100)
    assert ans.result == "pass" and ans.note == "现场另见消毒记录不全，已拍照"


@pytest.mark.parametrize("returns", ["before_leaving", "after_leaving"])
def test_a_field_changed_while_a_save_is_in_flight_is_saved_too(live_server, page, returns):
    """The inspector changes a second field of the item while the first field's save is on its
    way (htmx drops that field's own save meanwhile): the change is kept on the screen and sent
    when the first save comes back, whether or not the inspector has left the field by then."""
    record = Record.select().where(Record.status == int(Status.DRAFT)).order_by(Record.id).first()
    sign_in(page, live_server, "ts_jdy1")
    page.goto(f"{live_server}/inspection/records/{record.id}")
    hrefs = page.eval_on_selector_all(".overview a.progress", "els => els.map(e => e.getAttribute('href'))")
    for href in hrefs:
        page.goto(live_server + href)
        if page.locator("article.item:not(.answered)").count():
            break
    item = page.locator("article.item:not(.answered)").first
    key, item_id = item.get_attribute("data-item"), item.get_attribute("id")
    item.locator("label.choice-fail").click()
    item.locator("textarea[name=finding]").fill("消毒记录不全")
    page.locator("h2#section-title").click()
    expect(page.locator(f"#{item_id} .save-state.ok")).to_be_visible()

    held = []  # the note's save is held back while the finding is emptied
    page.route(f"**/items/{key}", lambda route: held.append(route) if route.request.method == "POST" and not held else route.continue_())
    page.locator(f"#{item_id} textarea[name=note]").fill("已拍照")
    page.locator(f"#{item_id} textarea[name=finding]").fill("")  # leaving the note sends its save
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the note's save was not sent"
    if returns == "before_leaving":
        held[0].continue_()
        page.wait_for_timeout(300)
        page.locator("h2#section-title").click()
    else:
        page.locator("h2#section-title").click()  # the finding's own save is dropped meanwhile
        page.wait_for_timeout(300)
        held[0].continue_()
    finding = page.locator(f"#{item_id} textarea[name=finding]")
    # the emptied finding was sent after all: 不合格 without a finding is refused beside it
    expect(page.locator(f"#{item_id} .field-error")).to_contain_text("必须填写发现的问题")
    expect(finding).to_have_value("")
    expect(page.locator(f"#{item_id} textarea[name=note]")).to_have_value("已拍照")
    saved = Answer.get((Answer.record == record.id) & (Answer.item_key == key))
    assert saved.note == "已拍照" and saved.finding == "消毒记录不全"  # the refused save wrote nothing
