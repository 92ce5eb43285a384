"""The org tree, users, sign-in, scoping, the working-day calendar and the theme days:
what every programme area stands on."""

from portal.apps import Manifest, PageDef

MANIFEST = Manifest(
    code="org",
    title_zh="机构与账号",
    title_en="Organisation",
    order=0,
    programme=False,
    specs=(
        "portal.org.units",
        "portal.org.users",
        "portal.org.themedays",
        "portal.org.calendars",
        "portal.reminders",
    ),
    pages=(
        PageDef("home", "pages/home.py", "nav.home", ":material/home:", "nav.section.main", order=0),
        PageDef(
            "admin",
            "pages/admin.py",
            "nav.admin",
            ":material/admin_panel_settings:",
            "nav.section.system",
            frozenset({"admin", "head"}),
            "admin",
            order=10,
        ),
        PageDef(
            "account",
            "pages/account.py",
            "nav.account",
            ":material/person:",
            "nav.section.system",
            url_path="account",
            order=20,
        ),
    ),
)
