"""汇总表 in a real browser on the demo data: figures shown, a number opens its units, the
approved demo summary shows its signers."""
from .conftest import sign_in


def test_city_head_reads_the_tables_and_follows_a_number(live_server, page):
    sign_in(page, live_server, "city_fzr")
    page.click("text=汇总表")
    page.select_option("#plan", "2025-xj-yiliao")
    page.click("button:has-text('统计')")
    page.wait_for_selector("#table-附表2")
    assert page.locator("text=各辖区对比").count() >= 1
    header = page.locator("#table-附表2 thead").inner_text()
    for label in ("辖区内单位总数", "检查单位数", "医疗机构资质管理", "执业许可管理不符合要求单位数", "罚没款金额（万元）"):
        assert label.replace("（", "（") in header.replace("\n", "") or label in header
    total = page.locator("#table-附表2 tr.total td a").nth(1)  # 检查单位数 of 合计
    count = int(total.inner_text())
    assert count > 0
    total.click()
    page.wait_for_selector("#report-units")
    assert page.locator("#report-units tbody tr").count() == count


def test_the_approved_demo_summary_carries_its_signers(live_server, page):
    sign_in(page, live_server, "ts_fzr")
    page.goto(live_server + "/reports/?plan=2025-xj-yiliao")
    page.click("#report-approval >> text=查看")
    page.wait_for_selector("#summary-approval")
    text = page.locator("#summary-approval").inner_text()
    assert "已批准" in text and "刘洋" in text and "赵敏" in text and "周海燕" in text


def test_the_period_chooser_counts_a_stage_and_keeps_adhoc_checks_apart(live_server, page):
    sign_in(page, live_server, "city_fzr")
    page.goto(live_server + "/reports/?plan=2025-xj-yiliao")
    meta = page.locator(".report-sheet .report-meta").first
    assert "统计期间：计划年度（2025-01-01 至 2025-12-31）" in meta.inner_text()
    year = int(page.locator("#table-附表2 tr.total td a").nth(1).inner_text())
    assert "临时检查" in page.locator("#adhoc-checks").inner_text()
    page.check("input[name=period][value=stage]")
    page.click("button:has-text('统计')")
    page.wait_for_selector(".report-meta:has-text('阶段（2025-01-01 至 2025-06-15）')")
    assert "period=stage" in page.url
    stage = int(page.locator("#table-附表2 tr.total td a").nth(1).inner_text())
    assert 0 < stage < year
    page.check("input[name=period][value=custom]")
    page.fill("#start", "2025-07-01")
    page.fill("#end", "2025-06-01")
    page.click("button:has-text('统计')")
    page.wait_for_selector("text=结束日期不能早于开始日期")
