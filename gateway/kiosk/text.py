"""The kiosk's words: Simplified Chinese first, English for visitors and engineers."""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "title": "联动终端",
        "orders": "指令",
        "none": "暂无指令",
        "link": "网络",
        "online": "已连接",
        "offline": "未连接",
        "outbox": "待发送",
        "printer": "打印机",
        "alarm": "报警",
        "alarm_on": "报警中",
        "alarm_off": "无",
        "ack": "签收",
        "arrive": "到场",
        "feedback": "反馈",
        "send": "提交",
        "ack_by": "签收时限",
        "arrive_by": "到场时限",
        "feedback_by": "反馈时限",
        "left": "剩余",
        "overdue": "已超时",
        "drill": "演练",
        "phone": "报警电话",
        "feedback_sent": "反馈已保存，将发送至指挥中心。",
        "feedback_invalid": "请选择处置结果并填写说明。",
        "switch": "English",
        "tests": "设备测试",
        "test_buzzer": "蜂鸣器",
        "test_light": "警示灯",
        "test_printer": "打印测试单",
        "test_done": "已执行设备测试。",
        "test_busy": "正在报警，不能测试蜂鸣器或警示灯。",
        "presses": "最近按键",
        "never": "无",
        "unprinted": "待打印",
        "printer_ok": "正常",
        "printer_paper_out": "缺纸：请装入打印纸",
        "printer_paper_low": "纸将尽：请备好新纸卷",
        "printer_offline": "离线：请检查打印机电源和数据线",
        "printer_unknown": "未知：可点“打印测试单”检查",
        "link_unreachable": "无法连接指挥中心，正在重试",
        "link_lost": "连接中断，正在重连",
        "in_time": "按时",
        "late": "超时",
        "done_ack": "已签收",
        "done_arrive": "已到场",
        "done_feedback": "已反馈",
        "hours": "小时",
        "minutes": "分",
        "seconds": "秒",
        "order_no": "指令编号",
        "revision": "第 %d 版",
        "drill_note": "演练：非真实警情",
        "lp": "（",
        "rp": "）",
        "rollcall": "点名",
        "rollcall_answer": "应答点名",
        "rollcall_left": "应答时限",
        "rollcall_answered": "已应答",
        "rollcall_late": "超时应答",
        "rollcall_missed": "已错过",
        "rollcall_ringing": "请立即应答",
        "rollcall_done": "已应答点名。",
        "rollcall_gone": "点名已过期，不能应答。",
        "rollcall_orders_first": "有指令正在报警：按签收键先签收指令，再应答点名。",
    },
    "en": {
        "title": "Liandong terminal",
        "orders": "Orders",
        "none": "No orders",
        "link": "Link",
        "online": "connected",
        "offline": "not connected",
        "outbox": "Waiting to send",
        "printer": "Printer",
        "alarm": "Alarm",
        "alarm_on": "sounding",
        "alarm_off": "off",
        "ack": "Acknowledge",
        "arrive": "Arrived",
        "feedback": "Feedback",
        "send": "Submit",
        "ack_by": "Acknowledge by",
        "arrive_by": "On scene by",
        "feedback_by": "Feedback by",
        "left": "left",
        "overdue": "overdue",
        "drill": "DRILL",
        "phone": "Caller",
        "feedback_sent": "Feedback saved; it will be sent to the centre.",
        "feedback_invalid": "Choose a result and write what was done.",
        "switch": "中文",
        "tests": "Device test",
        "test_buzzer": "Buzzer",
        "test_light": "Light",
        "test_printer": "Print test slip",
        "test_done": "Device test done.",
        "test_busy": "An alarm is sounding: the buzzer and light cannot be tested now.",
        "presses": "Last button presses",
        "never": "none",
        "unprinted": "to print",
        "printer_ok": "OK",
        "printer_paper_out": "out of paper: load a roll",
        "printer_paper_low": "paper low: have a new roll ready",
        "printer_offline": "offline: check the printer's power and cable",
        "printer_unknown": "unknown: print a test slip to check",
        "link_unreachable": "cannot reach the centre, retrying",
        "link_lost": "link lost, reconnecting",
        "in_time": "in time",
        "late": "late",
        "done_ack": "acknowledged",
        "done_arrive": "on scene",
        "done_feedback": "fed back",
        "hours": " h ",
        "minutes": " min ",
        "seconds": " s",
        "order_no": "Order no.",
        "revision": "revision %d",
        "drill_note": "DRILL: not a real call",
        "lp": " (",
        "rp": ")",
        "rollcall": "Roll-call",
        "rollcall_answer": "Answer roll-call",
        "rollcall_left": "Answer by",
        "rollcall_answered": "answered",
        "rollcall_late": "answered late",
        "rollcall_missed": "missed",
        "rollcall_ringing": "answer now",
        "rollcall_done": "Roll-call answered.",
        "rollcall_gone": "The roll-call has expired and can no longer be answered.",
        "rollcall_orders_first": (
            "An order is alarming: the acknowledge button acknowledges the order first,"
            " then answers the roll-call."
        ),
    },
}

_STAGES = {
    "received": ("待签收", "to acknowledge"),
    "acknowledged": ("已签收", "acknowledged"),
    "arrived": ("已到场", "on scene"),
    "fed_back": ("已反馈", "fed back"),
    "cancelled": ("已撤销", "cancelled"),
}


RESULT_NAMES_EN = {
    "resolved": "resolved",
    "referred": "referred",
    "no_action_needed": "no action needed",
    "unable": "unable to resolve",
    "false_report": "false report",
}
"""Feedback results in English (wire.kinds.RESULT_NAMES has the Chinese)."""


def countdown(seconds: float, lang: str) -> str:
    """Time left in words a duty room reads at a glance: `23小时57分` from an hour up,
    `4分05秒` below; never `1437:32`."""
    t = TEXT[lang]
    s = max(0, int(seconds))
    hours, rest = divmod(s, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}{t['hours']}{minutes:02d}{t['minutes']}".strip()
    return f"{minutes}{t['minutes']}{secs:02d}{t['seconds']}".strip()


def printer_words(state: str, lang: str) -> str:
    """The printer's state and what to do about it."""
    return TEXT[lang].get(f"printer_{state}", TEXT[lang]["printer_unknown"])


def link_words(error: str, lang: str) -> str:
    """Why the link is down, in words (the MQTT reason stays in the log and status.json)."""
    key = "link_unreachable" if error in ("", "cannot reach the broker") else "link_lost"
    return TEXT[lang][key]


def stage_name(stage: str, lang: str) -> str:
    zh, en = _STAGES.get(stage, (stage, stage))
    return zh if lang == "zh" else en
