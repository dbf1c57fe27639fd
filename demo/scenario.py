"""The calls of the demo: seeded, at a realistic pace, posted to the hub's intake with HMAC.

Only categories whose lead unit is tier 1 are used, so every order (the lead's and the
township government's, 属地管理) has a terminal in the demo. Places are near the township's
centre, addresses and summaries in Chinese, as the 110 gate would send them.
"""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.registry import Registry
from hub.sources.api_keys import sign
from wire.clock import shanghai

MEAN_GAP_S = 150.0
"""Mean county-time gap between calls (a busy evening for one county's non-police calls)."""

URBAN_STREETS = (
    "东街",
    "西街",
    "南街",
    "北街",
    "查姆湖路",
    "玉屏路",
    "新华路",
    "白竹山路",
    "彝风路",
    "德胜路",
)
VILLAGES = (
    "大村",
    "新村",
    "河边村",
    "上村",
    "下村",
    "中村",
    "小河村",
    "松树村",
    "龙潭村",
    "石门村",
)

SUMMARIES: dict[str, tuple[str, ...]] = {
    "power-cut": ("整条街停电，有老人使用制氧机。", "小区突然停电，电梯停运。"),
    "power-line-down": ("电线被大风刮断垂到路面，有火花。", "路边电线断落，有村民靠近。"),
    "water-main-burst": ("路面供水管道爆裂，水流很大。", "自来水管破裂，路面积水。"),
    "water-outage": ("整栋楼停水一天了。", "村里自来水停了，老人取水困难。"),
    "gas-smell": ("楼道里有很浓的燃气味。", "餐馆后厨疑似燃气泄漏。"),
    "road-damage": ("路面塌陷一个大坑，车辆绕行。", "乡道被冲毁一段。"),
    "fallen-tree": ("大树倒在路中间，堵住交通。", "树木倒伏压到围墙。"),
    "stray-dog": ("一只流浪犬咬伤路人。", "几只流浪狗在学校门口徘徊。"),
    "noise": ("深夜工地施工噪声很大。", "楼下烧烤店噪声扰民。"),
    "food-safety": ("市场有人销售病死猪肉。", "小吃店卫生很差，疑似变质食品。"),
    "food-poisoning": ("婚宴后多人呕吐腹泻。", "学校食堂就餐后学生腹痛。"),
    "vagrant-help": ("桥下有流浪人员，衣着单薄。", "车站有一名走失的流浪老人。"),
    "flooding": ("暴雨后街道积水没过膝盖。", "河水上涨漫进村子。"),
    "building-danger": ("老房子墙体开裂，有倒塌危险。", "雨后民房后墙出现裂缝。"),
    "elevator-entrapment": ("电梯困住两人，其中一名儿童。", "商场电梯停在两层之间，有人被困。"),
    "medical-emergency": ("老人突然晕倒，意识不清。", "车祸致一人受伤流血。"),
    "fire": ("民房冒出浓烟，有明火。", "路边草堆起火，火势蔓延。"),
    "traffic-blocked": ("两车剐蹭无人伤，堵住路口。", "货车抛锚堵塞道路。"),
    "traffic-signal-fault": ("路口红绿灯全灭。", "信号灯一直黄闪。"),
    "pollution": ("河里漂着大量死鱼。", "工厂排出黑烟，气味刺鼻。"),
    "illegal-construction": ("有人在河道边私自建房。", "小区里有人违规加盖。"),
    "streetlight-out": ("整条路的路灯都不亮。", "桥上路灯坏了很多天。"),
    "sewer-blockage": ("下水道堵塞，污水漫到路面。", "窨井冒水，气味难闻。"),
    "lost-person": ("一名老人走失，有认知障碍。", "八岁男孩放学后未回家。"),
    "consumer-complaint": ("商店价格欺诈。", "加油站疑似缺斤短两。"),
    "work-safety-hazard": ("工地脚手架摇晃，工人仍在作业。", "加工厂消防通道被堵。"),
    "cultural-market": ("网吧接纳未成年人上网。", "KTV 深夜噪声扰民且无证经营。"),
}
RESULTS = (
    ("resolved", "已到场处置完毕，现场恢复正常。"),
    ("resolved", "已处置，已告知报警人。"),
    ("resolved", "问题已解决，群众满意。"),
    ("referred", "已移交主管部门跟进处理。"),
    ("no_action_needed", "到场核实，情况已自行消除，无需处置。"),
)


@dataclass(frozen=True)
class Call:
    index: int
    at_s: float  # county seconds after the scenario starts
    category: str
    township: str
    address: str
    lat: float
    lon: float
    summary: str
    phone: str


def usable_categories(registry: Registry) -> list[str]:
    """Categories whose every order goes to a tier-1 unit (so every order has a terminal)."""
    out = []
    for c in registry.categories.values():
        if not c.scene or registry.units[c.lead_unit].tier != 1:
            continue
        out.append(c.code)
    return out


def make_calls(registry: Registry, count: int, seed: int) -> list[Call]:
    rng = random.Random(seed)  # noqa: S311 - a simulation, not a secret
    categories = usable_categories(registry)
    townships = list(registry.townships.values())
    weights = [6.0 if t.urban else 1.0 for t in townships]
    calls: list[Call] = []
    at = 20.0
    for i in range(count):
        code = rng.choice(categories)
        cat = registry.categories[code]
        town = rng.choices(townships, weights)[0]
        lat = town.lat + rng.uniform(-0.012, 0.012)
        lon = town.lon + rng.uniform(-0.012, 0.012)
        if town.urban:
            address = f"{town.name_zh}{rng.choice(URBAN_STREETS)}{rng.randint(1, 199)}号"
        else:
            address = f"{town.name_zh}{rng.choice(VILLAGES)}村民小组{rng.randint(1, 60)}号"
        summary = rng.choice(SUMMARIES.get(code, (f"群众报称{cat.name_zh}，请尽快处置。",)))
        phone = f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
        calls.append(Call(i, at, code, town.id, address, lat, lon, summary, phone))
        at += rng.expovariate(1.0 / MEAN_GAP_S)
    return calls


def intake_body(call: Call, reported_at: datetime, run: str) -> dict[str, Any]:
    return {
        "source_id": f"J{run}{call.index + 1:04d}",
        "category": call.category,
        "township": call.township,
        "address": call.address,
        "lat": round(call.lat, 6),
        "lon": round(call.lon, 6),
        "caller_phone": call.phone,
        "summary": call.summary,
        "reported_at": shanghai(reported_at).isoformat(timespec="seconds"),
    }


class IntakeClient:
    """POST /api/v1/incidents signed with the source's HMAC key, as the 110 gate does."""

    def __init__(self, base_url: str, source: str, key_hex: str) -> None:
        self.url = base_url.rstrip("/") + "/api/v1/incidents"
        self.source = source
        self.key = bytes.fromhex(key_hex)

    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(  # noqa: S310 - our own hub's http URL
            self.url,
            data=raw,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Liandong-Source": self.source,
                "X-Liandong-Signature": sign(self.key, raw),
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
                data: dict[str, Any] = json.loads(resp.read())
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", errors="replace")
            raise RuntimeError(f"intake refused ({e.code}): {detail}") from None
        return data
