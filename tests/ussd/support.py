"""Screens that transcripts repeat: a line "< @name" in Phone.talk() stands for SCREENS[name],
"< @name a b" for SCREENS[name] with its {} filled by a and b."""

from __future__ import annotations

SCREENS = {
    "home_vi": "CON 1 Khoan vay\n2 Suc khoe\n3 Sinh hoat\n4 Nho giup do\n5 Quy CLB\n"
    "6 Ngon ngu/Language",
    "home_vi_dau": "CON 1 Khoản vay\n2 Sức khỏe\n3 Sinh hoạt\n4 Nhờ giúp đỡ\n5 Quỹ CLB\n"
    "6 Ngôn ngữ/Language",
    "home_en": "CON 1 My loan\n2 Health\n3 Meetings\n4 Ask for help\n5 Club fund\n"
    "6 Language/Ngon ngu",
    "meeting_vi": "CON Sinh hoat toi: 21/11\nTai: Nha van hoa thon\nNam nay ban du {} buoi.\n"
    "0 Quay lai, 00 Menu",
    "loan_vi_dau": "CON Còn nợ: 1.500.000đ\nKỳ tới 21/11: 200.000đ\nQuá hạn 1 kỳ: 100.000đ\n"
    "98 Tiếp",
    "ask_member_vi": "CON So the thanh vien:\n0 Quay lai, 00 Menu",
    "pay_ask_vi": "CON TV12 Lan tra bao nhieu? (VD: 450k)\n0 Quay lai, 00 Menu",
    "pay_confirm_vi": "CON TV12 Lan tra {}d.\n1 Gui\n2 Huy\n0 Quay lai, 00 Menu",
}
HOME_VI = SCREENS["home_vi"]


def expected_lines(line: str) -> list[str]:
    """The screen lines one "< ..." transcript line stands for."""
    text = line[2:]
    if not text.startswith("@"):
        return [text]
    name, *args = text[1:].split()
    return SCREENS[name].format(*args).split("\n")
