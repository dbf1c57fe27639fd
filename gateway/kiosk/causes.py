"""Why the terminal is not connected, in the duty room's words (the kiosk's header).

The codes are mqttlink.watch.Problem's; the log keeps the system's own English words.
"""

from __future__ import annotations

CAUSES: dict[str, dict[str, str]] = {
    "zh": {
        "dns": "中心服务器名称无法解析，请联系技术人员检查网络/DNS",
        "refused": "中心服务器拒绝连接（消息服务可能未运行）",
        "timeout": "中心服务器无应答，请检查网络",
        "tls": "证书校验失败，请联系技术人员",
        "rejected": "中心服务器拒绝本终端登录（证书可能已吊销）",
        "closed": "中心服务器断开了连接",
        "other": "无法连接中心服务器",
    },
    "en": {
        "dns": "the centre's server name does not resolve: check the network/DNS",
        "refused": "the centre's server refused the connection (broker not running?)",
        "timeout": "no answer from the centre's server: check the network",
        "tls": "certificate check failed: call the technician",
        "rejected": "the centre refused this terminal (certificate revoked?)",
        "closed": "the centre's server closed the connection",
        "other": "cannot reach the centre's server",
    },
}
