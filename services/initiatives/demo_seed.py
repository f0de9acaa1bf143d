"""Demo data for `make run` through the public API: staff accounts, approved initiatives from most
communes, judges' scores in progress, and a stage final with its finalists chosen.

`seed(base_url, admin_token, password)` is idempotent (existing accounts are kept; initiatives, scores
and the final are added only when the gallery is empty) and returns the demo credentials to print and
the ids of the initiatives it approved. The password is the caller's (`make run` generates one per
RUN_DIR): a password written here would open the head judge's account.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

ACCOUNTS = [
    ("dd-van-dinh", "Đại diện TT Vân Đình", "unit_rep", "van-dinh"),
    ("dd-cao-thanh", "Đại diện xã Cao Thành", "unit_rep", "cao-thanh"),
    ("gk-01", "Giám khảo 01", "judge", None),
    ("gk-02", "Giám khảo 02", "judge", "van-dinh"),
    ("gk-03", "Giám khảo 03", "judge", None),
    ("truong-bgk", "Trưởng ban giám khảo", "head_judge", None),
]
JUDGES = ["gk-01", "gk-02", "gk-03", "truong-bgk"]
# (title, field, summary, description): each becomes one commune's initiative.
THEMES = [
    ("Chợ số – thanh toán không dùng tiền mặt tại chợ", "kinh-te-so",
     "Hướng dẫn tiểu thương mở tài khoản, dùng mã QR để bán hàng và theo dõi doanh thu.",
     "Tổ công nghệ số cộng đồng phối hợp với các ngân hàng hướng dẫn tận nơi cho tiểu thương; người dân mua "
     "hàng chỉ cần quét mã QR."),
    ("Bình dân học vụ số tại nhà văn hóa thôn", "xa-hoi-so",
     "Lớp học buổi tối giúp người cao tuổi dùng VNeID, dịch vụ công trực tuyến và thanh toán số.",
     "Mỗi tuần hai buổi, đoàn viên thanh niên hướng dẫn cài đặt ứng dụng, kích hoạt định danh điện tử mức 2 "
     "và nộp hồ sơ trực tuyến."),
    ("Một cửa số: hẹn lịch và trả kết quả qua Zalo", "chinh-quyen-so",
     "Người dân đặt lịch làm thủ tục và nhận thông báo kết quả qua tài khoản Zalo chính thức của xã.",
     "Bộ phận một cửa gửi tin nhắn khi hồ sơ được tiếp nhận, cần bổ sung hoặc đã có kết quả, giảm số lần "
     "người dân phải đến trụ sở."),
    ("Bản đồ số nông sản và làng nghề", "kinh-te-so",
     "Đưa các hộ trồng lúa, rau sạch và làng nghề lên bản đồ số kèm số điện thoại và mã QR truy xuất.",
     "Mỗi hộ có một trang giới thiệu sản phẩm, mùa vụ và cách liên hệ; thương lái và khách tìm được ngay "
     "trên điện thoại."),
    ("Loa truyền thanh thông minh kết hợp nhóm tin thôn", "chinh-quyen-so",
     "Thay loa truyền thanh cũ bằng cụm loa IP và phát cùng nội dung lên nhóm tin của từng thôn.",
     "Bản tin được soạn một lần, phát đồng thời ra loa và tin nhắn; người dân nghe lại được khi vắng nhà."),
    ("Sổ sức khỏe điện tử cho người cao tuổi", "xa-hoi-so",
     "Trạm y tế cùng hội người cao tuổi hướng dẫn kích hoạt sổ sức khỏe điện tử trên VNeID.",
     "Cán bộ y tế đến từng thôn đo huyết áp, cập nhật hồ sơ và hướng dẫn con cháu theo dõi lịch khám."),
    ("Camera an ninh cộng đồng kết nối công an xã", "xa-hoi-so",
     "Các hộ góp kinh phí lắp camera tại ngõ xóm, hình ảnh được chia sẻ với công an xã khi cần.",
     "Mô hình do chi hội phụ nữ và tổ an ninh trật tự vận hành; quy chế sử dụng hình ảnh được thông qua tại "
     "hội nghị thôn."),
    ("Thư viện số trường học", "xa-hoi-so",
     "Số hóa sách giáo khoa, tài liệu tham khảo và đề kiểm tra cho học sinh mượn đọc trên điện thoại.",
     "Nhà trường phối hợp với đoàn thanh niên scan tài liệu, phân loại theo khối lớp và hướng dẫn phụ huynh "
     "cách truy cập."),
    ("Thu phí vệ sinh môi trường không dùng tiền mặt", "chinh-quyen-so",
     "Các hộ nộp phí vệ sinh, phí nước sạch qua mã QR; thôn công khai số đã thu hằng tháng.",
     "Tổ thu phí không phải đi từng nhà; người dân nhận biên nhận điện tử và tra cứu được các khoản đã nộp."),
    ("Hợp tác xã bán hàng trên sàn thương mại điện tử", "kinh-te-so",
     "Đưa gạo, trứng vịt và sản phẩm OCOP của hợp tác xã lên sàn thương mại điện tử.",
     "Thành viên hợp tác xã được tập huấn chụp ảnh, viết mô tả, đóng gói và giao hàng; doanh thu tháng đầu "
     "tăng rõ rệt."),
    ("Tổ công nghệ số cộng đồng đến từng hộ", "xa-hoi-so",
     "Mỗi thôn một tổ công nghệ số giúp các hộ cài ứng dụng, tạo tài khoản và nhận diện lừa đảo qua mạng.",
     "Tổ gồm đoàn viên, giáo viên và cán bộ thôn; có sổ theo dõi số hộ đã hỗ trợ và các câu hỏi hay gặp."),
    ("Họp trực tuyến giao ban xã – thôn", "chinh-quyen-so",
     "Giao ban hằng tuần giữa xã và các thôn qua phần mềm họp trực tuyến, biên bản lưu trên hệ thống.",
     "Trưởng thôn dự họp từ nhà văn hóa; tài liệu gửi trước qua hệ thống quản lý văn bản, tiết kiệm thời "
     "gian đi lại."),
]
STAGE_FINALISTS = 6
STAGE_SCORED = 2
PARALLEL = 6


def _unit_order(units: list[dict], count: int) -> list[str]:
    """The first `count` units that are not agencies (the gallery's meta carries no kind; agencies'
    ids are known to the contest file only, so they are recognised by the usual name prefixes)."""
    communes = [u["id"] for u in units if u["name"].startswith(("Xã", "Thị trấn"))]
    return communes[:count]


def _scores(rng: random.Random, criteria: list[dict], quality: float) -> list[dict]:
    out = []
    for c in criteria:
        raw = min(c["max"], max(0.0, rng.gauss(quality * c["max"], 0.8)))
        out.append({"criterion_id": c["id"], "score": round(raw * 2) / 2})
    return out


def _parallel(fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    """Requests side by side (the services are async; one at a time is slow on a busy machine)."""
    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(fn, items))


def seed(base_url: str, admin_token: str, password: str, *,
         count: int = 24) -> tuple[list[tuple[str, str, str]], list[str]]:
    admin = {"Authorization": f"Bearer {admin_token}"}
    rng = random.Random(14)
    with httpx.Client(base_url=base_url, timeout=30) as client:
        def account(spec: tuple) -> None:
            username, name, role, unit = spec
            body = {"username": username, "display_name": name, "role": role, "password": password}
            if unit:
                body["unit_id"] = unit
            r = client.post("/api/admin/initiatives/staff", json=body, headers=admin)
            if r.status_code not in (201, 409):
                r.raise_for_status()

        _parallel(account, ACCOUNTS)
        accounts = [(u, password, role) for u, _, role, _ in ACCOUNTS]
        if client.get("/api/initiatives").json()["total"] > 0:
            return accounts, []
        meta = client.get("/api/initiatives/meta").json()
        names = {u["id"]: u["name"] for u in meta["units"]}

        def initiative(job: tuple[int, str]) -> str:
            n, unit_id = job
            title, field, summary, description = THEMES[n % len(THEMES)]
            fields = {"title": f"{title} – {names[unit_id]}", "field": field, "summary": summary,
                      "description": description, "links": [], "contact": f"Văn phòng UBND {names[unit_id]}",
                      "unit_id": unit_id}
            ini = client.post("/api/initiatives/manage", json=fields, headers=admin)
            ini.raise_for_status()
            ini_id = ini.json()["id"]
            client.post(f"/api/initiatives/manage/{ini_id}/submit", headers=admin).raise_for_status()
            client.post(f"/api/admin/initiatives/initiatives/{ini_id}/approve", headers=admin).raise_for_status()
            return ini_id

        jobs = list(enumerate(_unit_order(meta["units"], count)))
        approved = _parallel(initiative, jobs)
        unit_of = {ini_id: unit for ini_id, (_, unit) in zip(approved, jobs, strict=True)}

        def login(judge: str) -> tuple[str, dict[str, str], str | None]:
            r = client.post("/api/staff/login", json={"username": judge, "password": password})
            r.raise_for_status()
            staff = r.json()["staff"]
            return staff["id"], {"Authorization": f"Bearer {r.json()['token']}"}, staff["unit_id"]

        tokens = _parallel(login, JUDGES)
        quality = {ini_id: rng.uniform(0.55, 0.9) for ini_id in sorted(approved)}
        _judge_initiatives(client, rng, tokens, quality)
        _stage(client, rng, admin, tokens, quality, unit_of)
    return accounts, approved


def _judge_initiatives(client: httpx.Client, rng: random.Random, tokens: list, quality: dict[str, float]) -> None:
    """Scoring in progress: each judge has done most, not all, of their assignments."""
    def work(judge: tuple[str, dict[str, str], str | None]) -> dict:
        r = client.get(f"/api/judging/judges/{judge[0]}/assignments", headers=judge[1])
        r.raise_for_status()
        return r.json()

    posts = []
    for (judge_id, headers, _unit), todo in zip(tokens, _parallel(work, tokens), strict=True):
        for item in sorted(todo["items"], key=lambda i: i["subject_id"]):
            if item["recused"] or rng.random() > 0.7:
                continue
            body = {"subject_id": item["subject_id"],
                    "criteria": _scores(rng, todo["criteria"], quality[item["subject_id"]])}
            posts.append((f"/api/judging/judges/{judge_id}/scores", body, headers))
    _parallel(lambda p: client.post(p[0], json=p[1], headers=p[2]).raise_for_status(), posts)


def _stage(client: httpx.Client, rng: random.Random, admin: dict, tokens: list, quality: dict[str, float],
           unit_of: dict[str, str]) -> None:
    """The final is set up: finalists chosen, the first presentations scored, the rest to come."""
    finalists = sorted(sorted(unit_of), key=lambda i: -quality[i])[:STAGE_FINALISTS]
    rng.shuffle(finalists)
    client.put("/api/stage/finalists", json={"initiative_ids": finalists}, headers=admin).raise_for_status()
    rubrics = client.get("/api/judging/rubrics").json()["items"]
    stage_criteria = next(r["criteria"] for r in rubrics if r["phase_id"] == "stage")
    for ini_id in finalists[:STAGE_SCORED]:
        client.post(f"/api/stage/finalists/{ini_id}/open", headers=admin).raise_for_status()
        posts = [({"initiative_id": ini_id, "criteria": _scores(rng, stage_criteria, quality[ini_id])}, headers)
                 for _judge_id, headers, unit in tokens if unit != unit_of[ini_id]]  # a unit's own judge abstains
        _parallel(lambda p: client.post("/api/stage/scores", json=p[0], headers=p[1]).raise_for_status(), posts)
        client.post(f"/api/stage/finalists/{ini_id}/close", headers=admin).raise_for_status()
