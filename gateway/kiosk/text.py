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
    },
}

_STAGES = {
    "received": ("待签收", "to acknowledge"),
    "acknowledged": ("已签收", "acknowledged"),
    "arrived": ("已到场", "on scene"),
    "fed_back": ("已反馈", "fed back"),
    "cancelled": ("已撤销", "cancelled"),
}


def stage_name(stage: str, lang: str) -> str:
    zh, en = _STAGES.get(stage, (stage, stage))
    return zh if lang == "zh" else en
