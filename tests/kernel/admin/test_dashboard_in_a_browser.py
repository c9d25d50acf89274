"""The dashboard in a real browser (Debian's Chromium through Playwright) against a real server:
signing in with a second factor, the mailed password reset, the home figures against the reports
API, an order found, fulfilled and partly refunded, roles, accessibility and phone-sized layouts."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import datetime, timedelta, timezone

import pyotp
import pytest
from sqlalchemy import update

from kernel.orders.models import Order
from plugin_sdk.money import format_money
from tests.kernel.admin.conftest import screenshots, serious_violations, sign_in
from tests.support import shop

pytestmark = pytest.mark.slow


async def accessible_and_pictured(page, dashboard, name: str) -> None:
    assert await serious_violations(page) == [], name
    await screenshots(page, dashboard, name)


async def enrolled_in_2fa(client, actor) -> str:
    """Turn two-factor on for ``actor`` through the API; returns the TOTP secret."""
    secret = (await client.post("/api/v1/auth/2fa/enroll", headers=actor.headers)).json()["secret"]
    confirmed = await client.post("/api/v1/auth/2fa/confirm", headers=actor.headers,
                                  json={"code": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200, confirmed.text
    return secret


async def test_sign_in_with_a_second_factor_refuses_wrong_and_replayed_codes(page, dashboard, client, factory):
    store = await factory.store(name="Two Factor Goods")
    owner = await factory.staff(store, "owner")
    secret = await enrolled_in_2fa(client, owner)
    await page.goto(f"{dashboard.base}/admin/login")
    await accessible_and_pictured(page, dashboard, "login")
    await sign_in(page, dashboard, owner.user.email)
    assert await page.inner_text("h1") == "Enter your two-factor code"
    await page.fill("#code", "000000")
    await page.click("#verify")
    assert "not valid" in await page.inner_text("#code-error")
    code = pyotp.TOTP(secret).at(time.time() + 30)  # the next step: confirming spent the current one
    await page.fill("#code", code)
    await page.click("#verify")
    await page.wait_for_url(re.compile(rf"/admin/stores/{store.slug}$"))  # staff of one store land in it
    assert await page.inner_text("h1") == "Two Factor Goods"

    await page.click("#user-menu")
    await page.click("#logout")
    assert "You are signed out." in await page.inner_text("main")
    await sign_in(page, dashboard, owner.user.email)
    await page.fill("#code", code)  # the same code again: a replay
    await page.click("#verify")
    assert "not valid" in await page.inner_text("#code-error")
    assert "/admin/login/2fa" in page.url


async def wait_for_mail(dashboard, to: str, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for message in dashboard.mail.messages():
            if message["To"] == to:
                return message
        await asyncio.sleep(0.1)
    raise AssertionError(f"no mail to {to}")


async def test_password_reset_from_the_mailed_link(page, dashboard, factory):
    actor = await factory.user()
    await page.goto(f"{dashboard.base}/admin/login")
    await page.click("text=Forgot your password?")
    await page.fill("#email", actor.user.email)
    await page.click("#send-reset")
    assert "a reset link is on its way" in await page.inner_text("main")
    mail = await wait_for_mail(dashboard, actor.user.email)
    link = re.search(r"http://\S+/admin/password-reset\?token=\S+", mail.get_content()).group(0)
    await page.goto(link)
    await page.fill("#new_password", "a-brand-new-secret-7")
    await page.fill("#repeat_password", "a-brand-new-secret-8")
    await page.click("#set-password")
    assert "differ" in await page.inner_text("#repeat_password-error")
    await page.fill("#new_password", "a-brand-new-secret-7")
    await page.fill("#repeat_password", "a-brand-new-secret-7")
    await page.click("#set-password")
    assert "Your password is changed" in await page.inner_text("main")
    await page.goto(link)  # the link works once
    await page.fill("#new_password", "yet-another-secret-9")
    await page.fill("#repeat_password", "yet-another-secret-9")
    await page.click("#set-password")
    assert "invalid, used or expired" in await page.inner_text("#form-error")
    await sign_in(page, dashboard, actor.user.email, "correct-horse-9")
    assert "Wrong email or password" in await page.inner_text("#form-error")
    await sign_in(page, dashboard, actor.user.email, "a-brand-new-secret-7")
    assert await page.inner_text("h1") == "Your stores"


async def placed_order(client, factory, store, variant, quantity, placed_at, staff, *, email="shopper@example.com",
                       paid=True):
    cart = await shop.new_cart(factory, store)
    await shop.fill_checkout(client, store, cart, variant_id=variant.id, quantity=quantity, address=shop.DE_ADDRESS,
                             email=email)
    order = (await shop.place(client, store, cart)).json()
    if paid:
        paying = await client.post(f"{shop.base(store)}/orders/{order['id']}/mark-paid", headers=staff.headers)
        assert paying.status_code == 200, paying.text
    async with factory.session(store) as session:
        await session.execute(update(Order).where(Order.id == order["id"]).values(placed_at=placed_at))
    return order


async def test_home_figures_equal_the_reports_api_across_a_time_zone_boundary(page, dashboard, client, factory):
    store = await factory.store(name="Berlin Bikes", currency="EUR", timezone="Europe/Berlin")
    await shop.standard_plugins(factory, store, tax={"rates": [{"country": "DE", "rate_bp": 1900, "name": "MwSt"}]})
    manager = await factory.staff(store, "manager")
    bell = await shop.variant(factory, store, name="Bell", price=1200, cost=500, stock=50)
    light = await shop.variant(factory, store, name="Light", price=3000, cost=1800, stock=50)
    utc = timezone.utc
    await placed_order(client, factory, store, bell, 2, datetime(2026, 3, 2, 10, 0, tzinfo=utc), manager)
    # 23:30 UTC on 31 March is 01:30 on 1 April in Berlin: outside March, inside the next period.
    await placed_order(client, factory, store, light, 1, datetime(2026, 3, 31, 23, 30, tzinfo=utc), manager)
    await placed_order(client, factory, store, light, 1, datetime(2026, 2, 20, 9, 0, tzinfo=utc), manager)
    await placed_order(client, factory, store, bell, 5, datetime(2026, 3, 5, 9, 0, tzinfo=utc), manager, paid=False)

    params = {"start": "2026-03-01", "end": "2026-03-31"}
    api = (await client.get(f"{shop.base(store)}/reports/sales", params=params, headers=manager.headers)).json()
    before = (await client.get(f"{shop.base(store)}/reports/sales", headers=manager.headers,
                               params={"start": "2026-01-29", "end": "2026-02-28"})).json()["totals"]
    totals = api["totals"]
    assert totals["orders"] == 1  # the boundary order and the unpaid one are not March's

    await sign_in(page, dashboard, manager.user.email)
    await page.goto(f"{dashboard.base}/admin/stores/{store.slug}?start=2026-03-01&end=2026-03-31")
    money = lambda amount: format_money(amount, "EUR", "en_US")  # noqa: E731
    assert await page.inner_text("#figure-revenue") == money(totals["revenue"])
    assert await page.inner_text("#figure-orders") == str(totals["orders"])
    assert await page.inner_text("#figure-aov") == money(totals["average_order_value"])
    assert await page.inner_text("#figure-profit") == money(totals["gross_profit"])
    assert await page.inner_text("#figure-margin") == f"{totals['margin_bp'] / 100:.2f} %"
    assert money(before["revenue"]) in await page.inner_text("#previous-revenue")
    assert "Bell" in await page.inner_text("#top-revenue") and "Light" not in await page.inner_text("#top-revenue")
    assert await page.evaluate("Chart.getChart('sales-chart').data.datasets[0].data.reduce((a, b) => a + b, 0)") \
        == totals["revenue"] / 100
    await accessible_and_pictured(page, dashboard, "home")


async def test_find_an_order_by_email_fulfil_it_and_refund_part(page, dashboard, client, factory):
    store = await factory.store(name="Tea Corner")
    await shop.standard_plugins(factory, store)
    manager = await factory.staff(store, "manager")
    pot = await shop.variant(factory, store, name="Teapot", price=4000, cost=1500, stock=10)
    now = datetime.now(timezone.utc)
    await placed_order(client, factory, store, pot, 1, now - timedelta(hours=2), manager, email="other@example.com")
    order = await placed_order(client, factory, store, pot, 2, now - timedelta(hours=1), manager,
                               email="ada.lovelace@example.com")

    await sign_in(page, dashboard, manager.user.email)
    await page.goto(f"{dashboard.base}/admin/stores/{store.slug}/orders")
    await accessible_and_pictured(page, dashboard, "orders")
    await page.fill("#q", "ada.lovelace")
    await page.click("#search-orders")
    rows = page.locator("#orders tbody tr")
    assert await rows.count() == 1
    await rows.first.get_by_role("link").click()
    assert await page.inner_text("h1") == f"Order #{order['number']}"

    await page.fill("#carrier", "DHL")
    await page.fill("#tracking_number", "JD014600003828")
    await page.click("#fulfil")
    assert "Fulfilled" in await page.inner_text("main")
    assert "DHL · JD014600003828" in await page.inner_text("#fulfilment-" + re.search(
        r"fulfilment-(\d+)", await page.content()).group(1))

    await page.fill("#amount", "12.345")
    await page.click("#refund")
    assert "decimal places" in await page.inner_text("#refund-error")
    await page.fill("#amount", "12.50")
    await page.fill("#reason", "Lid chipped")
    await page.click("#refund")
    assert "Refund recorded." in await page.inner_text("main")
    assert await page.inner_text("#order-status") == "partially refunded"
    timeline = await page.inner_text("#timeline")
    assert "JD014600003828" in timeline and "Refunded 1250. Lid chipped" in timeline
    detail = (await client.get(f"{shop.base(store)}/orders/{order['id']}", headers=manager.headers)).json()
    assert detail["refunded_total"] == 1250 and detail["fulfilments"][0]["tracking_number"] == "JD014600003828"
    await accessible_and_pictured(page, dashboard, "order")


async def test_a_manager_cannot_open_the_owners_settings(page, dashboard, factory):
    store = await factory.store(name="Owner Only")
    manager = await factory.staff(store, "manager")
    await sign_in(page, dashboard, manager.user.email)
    assert await page.get_by_role("link", name="Settings").count() == 0  # not offered
    response = await page.goto(f"{dashboard.base}/admin/stores/{store.slug}/settings")
    assert response.status == 403
    assert await page.inner_text("#problem-title") == "You are not allowed to open this page"
    assert "owner" in await page.inner_text("#problem-detail")
    await accessible_and_pictured(page, dashboard, "forbidden")


async def test_the_owner_and_the_platform_pages_are_accessible_on_desktop_and_phone(page, dashboard, factory):
    store = await factory.store(name="Platform Tour")
    admin = await factory.admin()
    async with factory.session(store) as session:
        from kernel.accounts.service import grant_role
        from kernel.accounts.models import StaffRole

        await grant_role(session, admin.user, StaffRole.owner)
    await sign_in(page, dashboard, admin.user.email)
    async with factory.session(store) as session:
        from kernel.accounts.staff import register_customer

        await register_customer(session, "loyal@example.com", "correct-horse-9", "Loyal Larry")
    base = f"/admin/stores/{store.slug}"
    for name, path in (("stores", "/admin/platform/stores"), ("jobs", "/admin/platform/jobs"),
                       ("health", "/admin/platform/health"), ("settings", f"{base}/settings"),
                       ("landing", "/admin"), ("customers", f"{base}/customers?q=loyal"), ("staff", f"{base}/staff")):
        response = await page.goto(dashboard.base + path)
        assert response.status == 200, path
        await accessible_and_pictured(page, dashboard, name)
    assert "loyal@example.com" in await (await page.goto(f"{dashboard.base}{base}/customers?q=larry")).text()
    await page.goto(f"{dashboard.base}{base}/staff")
    await page.fill("#key-name", "ERP sync")
    await page.check("#scope-orders-read")
    await page.click("#create-key")
    token = await page.inner_text("#new-key-token")
    assert token.startswith("pck_")
    await page.goto(f"{dashboard.base}{base}/staff")
    assert token not in await page.content() and "ERP sync" in await page.inner_text("#key-" + re.search(
        r'id="key-(\d+)"', await page.content()).group(1))
    await page.goto(f"{dashboard.base}{base}/audit-log?action=api_key.create")
    assert await page.locator("#audit tbody tr").count() == 1
    await accessible_and_pictured(page, dashboard, "audit")
    await page.goto(f"{dashboard.base}/admin/platform/stores")
    await page.fill("#name", "Fresh Store")
    await page.fill("#slug", "Not A Slug")
    await page.fill("#owner_email", "fresh-owner@example.com")
    await page.click("#create-store")
    assert "should match pattern" in await page.inner_text("#slug-error") or \
        await page.locator("#slug-error").count() == 1
    await page.fill("#slug", f"fresh-{store.slug}")
    await page.click("#create-store")
    assert "Store “Fresh Store” created." in await page.inner_text("main")
    assert await page.locator(f"#store-fresh-{store.slug}").count() == 1


async def test_enable_a_plugin_and_save_nested_settings_with_a_secret(page, dashboard, factory):
    from kernel.plugins import settings as plugin_settings
    from kernel.plugins.service import get_row

    store = await factory.store(name="Courier Shop")
    await shop.standard_plugins(factory, store)
    owner = await factory.staff(store, "owner")
    await sign_in(page, dashboard, owner.user.email)
    await page.goto(f"{dashboard.base}/admin/stores/{store.slug}/plugins")
    await accessible_and_pictured(page, dashboard, "plugins")
    await page.click("#toggle-courier")
    assert "courier is enabled." in await page.inner_text("main")

    await page.fill("#settings-api_key", "sk_live_TOPSECRET_42")
    await page.fill("#settings-account-number", "12")  # too short
    await page.fill("#settings-depots-0-name", "Berlin")
    await page.fill("#settings-depots-0-countries", "de, at")
    await page.fill("#settings-depots-0-pickup_fee", "250")
    await page.click("#save-settings")
    assert "at least 4 characters" in await page.inner_text("#settings-account-number-error")
    assert "sk_live_TOPSECRET_42" not in await page.content()  # a typed secret is never echoed
    assert await page.input_value("#settings-depots-0-name") == "Berlin"  # what was typed stays

    await page.fill("#settings-api_key", "sk_live_TOPSECRET_42")
    await page.fill("#settings-account-number", "CN-123456")
    await page.check("#settings-account-sandbox")
    await page.click("#save-settings")
    assert "Settings saved." in await page.inner_text("main")
    assert "sk_live_TOPSECRET_42" not in await page.content()
    assert await page.get_attribute("#settings-api_key", "placeholder") == "Stored. Type a new one to replace it."
    await page.fill("#settings-depots-1-name", "Vienna")  # the blank item adds a second depot
    await page.click("#save-settings")  # the secret field left empty: the stored one stays
    async with factory.session(store) as session:
        stored = plugin_settings.decode((await get_row(session, "courier")).settings)
    assert stored["api_key"] == "sk_live_TOPSECRET_42"
    assert stored["account"] == {"number": "CN-123456", "sandbox": True}
    assert stored["depots"] == [{"name": "Berlin", "countries": ["de", "at"], "pickup_fee": 250},
                                {"name": "Vienna", "countries": []}]  # defaults are not stored
    await accessible_and_pictured(page, dashboard, "plugin-settings")

    await page.goto(f"{dashboard.base}/admin/stores/{store.slug}/plugins/shipping_methods")  # the built-in, nested
    assert await page.input_value("#settings-zones-0-methods-0-price") == "500"
    await accessible_and_pictured(page, dashboard, "plugin-shipping")
    await page.goto(f"{dashboard.base}/admin/stores/{store.slug}/plugins/courier")
    await page.click("#toggle")
    assert "courier is disabled." in await page.inner_text("main")
    assert await page.inner_text("#plugin-courier .badge") == "off"


def png_file(tmp_path, name: str, color: tuple[int, int, int]) -> str:
    from PIL import Image

    path = tmp_path / name
    Image.new("RGB", (64, 48), color).save(path, "PNG")
    return str(path)


async def test_create_a_product_with_two_option_axes_four_variants_and_two_images(page, dashboard, client, factory,
                                                                                   tmp_path):
    store = await factory.store(name="Tee Shop")
    manager = await factory.staff(store, "manager")
    await sign_in(page, dashboard, manager.user.email)
    await page.goto(f"{dashboard.base}/admin/stores/{store.slug}/products")
    await page.click("#new-product")
    await page.fill("#name", "Organic Tee")
    await page.fill("#options-0-name", "Size")
    await page.fill("#options-0-values", "S, M")
    await page.fill("#options-1-name", "Colour")
    await page.fill("#options-1-values", "Red, Blue")
    await page.click("#make-variants")
    assert await page.locator("#variants tbody tr").count() == 4
    for i, (sku, price) in enumerate([("TEE-S-R", "19.00"), ("TEE-S-B", "19.50"), ("TEE-M-R", "21.00"),
                                      ("TEE-M-B", "21.50")]):
        await page.fill(f"#variants-{i}-sku", sku)
        await page.fill(f"#variants-{i}-price", price)
        await page.fill(f"#variants-{i}-cost", "8.00")
        await page.fill(f"#variants-{i}-initial_stock", "5")
    await page.fill("#variants-0-compare_at_price", "25.00")
    await page.fill("#variants-3-price", "21.5x")  # a typo
    await page.select_option("#status", "active")
    await page.click("#save-product")
    assert "is not an amount" in await page.inner_text("#variants-3-price-error")
    await page.fill("#variants-3-price", "21.50")
    await page.click("#save-product")
    assert "“Organic Tee” created with 4 variant(s)." in await page.inner_text("main")
    for name, color in (("front.png", (200, 30, 30)), ("back.png", (30, 30, 200))):
        await page.set_input_files("#image-file", png_file(tmp_path, name, color))
        await page.fill("#image-alt", name.split(".")[0].capitalize() + " view")
        await page.click("#upload-image")
        assert "Image added." in await page.inner_text("main")
    assert await page.locator("#images img").count() == 2
    await accessible_and_pictured(page, dashboard, "product")

    await page.goto(f"{dashboard.base}/admin/stores/{store.slug}/products?q=organic")
    assert "Organic Tee" in await page.inner_text("#products")
    await accessible_and_pictured(page, dashboard, "products")
    found = (await client.get(f"{shop.base(store)}/products", headers=manager.headers)).json()["items"]
    assert [p["name"] for p in found] == ["Organic Tee"]
    variants = {v["sku"]: (v["options"], v["price"], v["compare_at_price"], v["cost"], v["stock_on_hand"])
                for v in found[0]["variants"]}
    assert variants == {"TEE-S-R": (["S", "Red"], 1900, 2500, 800, 5), "TEE-S-B": (["S", "Blue"], 1950, None, 800, 5),
                        "TEE-M-R": (["M", "Red"], 2100, None, 800, 5), "TEE-M-B": (["M", "Blue"], 2150, None, 800, 5)}
    assert [i["alt"] for i in found[0]["images"]] == ["Front view", "Back view"]
    storefront = await client.get(f"http://{store.slug}.localhost/products/organic-tee")
    assert storefront.status_code == 200 and "Organic Tee" in storefront.text and "$19.00" in storefront.text


async def test_a_csv_import_with_one_bad_row_imports_nothing_and_names_the_row_and_column(page, dashboard, client,
                                                                                          factory, tmp_path):
    store = await factory.store(name="Import Shop")
    manager = await factory.staff(store, "manager")
    csv_file = tmp_path / "products.csv"
    csv_file.write_text("Handle,Title,Variant SKU,Variant Price\n"
                        "mug,Mug,MUG-1,9.99\n"
                        "cap,Cap,CAP-1,twelve\n"
                        "pen,Pen,PEN-1,1.50\n")
    await sign_in(page, dashboard, manager.user.email)
    await page.goto(f"{dashboard.base}/admin/stores/{store.slug}/products/import")
    await page.set_input_files("#file", str(csv_file))
    await page.click("#import")
    assert "Nothing was imported." in await page.inner_text("#import-problem")
    rows = await page.locator("#import-errors tbody tr").all_inner_texts()
    assert len(rows) == 1 and rows[0].startswith("3\tVariant Price\t"), rows
    await accessible_and_pictured(page, dashboard, "import")
    found = (await client.get(f"{shop.base(store)}/products", headers=manager.headers)).json()["items"]
    assert found == []
    csv_file.write_text("Handle,Title,Variant SKU,Variant Price\nmug,Mug,MUG-1,9.99\ncap,Cap,CAP-1,12.00\n")
    await page.set_input_files("#file", str(csv_file))
    await page.click("#import")
    assert "Imported 2 row(s): 2 product(s) created" in await page.inner_text("main")
