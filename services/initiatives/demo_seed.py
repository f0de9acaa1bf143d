"""Demo data for `make run` through the public API: staff accounts and approved sample initiatives.

`seed(base_url, admin_token, password)` is idempotent (existing accounts are kept; initiatives are added
only when the gallery is empty) and returns the demo credentials to print. The password is the caller's
(`make run` generates one per RUN_DIR): a password written here would open the head judge's account.
"""

from __future__ import annotations

import httpx

ACCOUNTS = [
    ("dd-van-dinh", "Đại diện TT Vân Đình", "unit_rep", "van-dinh"),
    ("dd-cao-thanh", "Đại diện xã Cao Thành", "unit_rep", "cao-thanh"),
    ("gk-01", "Giám khảo 01", "judge", None),
    ("gk-02", "Giám khảo 02", "judge", "van-dinh"),
    ("gk-03", "Giám khảo 03", "judge", None),
    ("truong-bgk", "Trưởng ban giám khảo", "head_judge", None),
]
SAMPLES = [
    ("dd-van-dinh", {
        "title": "Chợ 4.0 – thanh toán không dùng tiền mặt tại chợ Vân Đình", "field": "kinh-te-so",
        "summary": "Hướng dẫn tiểu thương mở tài khoản, dùng mã QR để bán hàng và theo dõi doanh thu.",
        "description": "Tổ công nghệ số cộng đồng thị trấn phối hợp với các ngân hàng hướng dẫn tận nơi "
                       "cho tiểu thương; người dân mua hàng chỉ cần quét mã QR.",
        "links": [], "contact": "Văn phòng UBND thị trấn Vân Đình"}),
    ("dd-cao-thanh", {
        "title": "Bình dân học vụ số tại nhà văn hóa thôn", "field": "xa-hoi-so",
        "summary": "Lớp học buổi tối giúp người cao tuổi dùng VNeID, dịch vụ công trực tuyến và thanh toán số.",
        "description": "Mỗi tuần hai buổi, đoàn viên thanh niên hướng dẫn cài đặt ứng dụng, kích hoạt định danh "
                       "điện tử mức 2 và nộp hồ sơ trực tuyến.",
        "links": [], "contact": "Đoàn thanh niên xã Cao Thành"}),
]


def seed(base_url: str, admin_token: str, password: str) -> list[tuple[str, str, str]]:
    admin = {"Authorization": f"Bearer {admin_token}"}
    with httpx.Client(base_url=base_url, timeout=10) as client:
        for username, name, role, unit in ACCOUNTS:
            body = {"username": username, "display_name": name, "role": role, "password": password}
            if unit:
                body["unit_id"] = unit
            r = client.post("/api/admin/initiatives/staff", json=body, headers=admin)
            if r.status_code not in (201, 409):
                r.raise_for_status()
        if client.get("/api/initiatives").json()["total"] == 0:
            for username, fields in SAMPLES:
                login = client.post("/api/staff/login", json={"username": username, "password": password})
                login.raise_for_status()
                rep = {"Authorization": f"Bearer {login.json()['token']}"}
                ini = client.post("/api/initiatives/manage", json=fields, headers=rep)
                ini.raise_for_status()
                ini_id = ini.json()["id"]
                client.post(f"/api/initiatives/manage/{ini_id}/submit", headers=rep).raise_for_status()
                client.post(f"/api/admin/initiatives/initiatives/{ini_id}/approve", headers=admin).raise_for_status()
    return [(u, password, role) for u, _, role, _ in ACCOUNTS]
