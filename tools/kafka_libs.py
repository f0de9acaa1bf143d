"""Apache Kafka's runtime jars for tools/kafka.py, fetched with Maven (tools/kafka/pom.xml names them)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POM = ROOT / "tools" / "kafka" / "pom.xml"


class KafkaUnavailable(RuntimeError):
    """Java or Maven missing, or the jars could not be fetched (the message is one line)."""


def version() -> str:
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", POM.read_text())
    assert match, f"{POM} has no kafka.version"
    return match.group(1)


def libs_dir() -> Path:
    return Path(os.environ.get("KAFKA_LIBS_DIR") or ROOT / ".run" / f"kafka-libs-{version()}")


def ensure_libs() -> Path:
    """The directory of Kafka's jars, fetched with Maven the first time (a marker says it is complete)."""
    target = libs_dir()
    marker = target / ".complete"
    if marker.exists():
        return target
    if not shutil.which("java"):
        raise KafkaUnavailable("Apache Kafka needs Java 17+ (`java` not found on PATH)")
    if not shutil.which("mvn"):
        raise KafkaUnavailable("Apache Kafka's jars are fetched with Maven (`mvn` not found on PATH)")
    staging = target.with_name(target.name + f".partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    result = subprocess.run(
        ["mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies", f"-DoutputDirectory={staging}"],
        capture_output=True, text=True, timeout=900,
    )
    if result.returncode != 0 or not any(staging.glob("kafka_2.13-*.jar")):
        shutil.rmtree(staging, ignore_errors=True)
        tail = (result.stdout + result.stderr).strip().splitlines()[-1:] or ["no output"]
        raise KafkaUnavailable(f"fetching Kafka {version()} with Maven failed: {tail[0]}")
    (staging / ".complete").write_text(version())
    shutil.rmtree(target, ignore_errors=True)
    with contextlib.suppress(OSError):  # a concurrent fetch won the race: keep its copy
        staging.rename(target)
    shutil.rmtree(staging, ignore_errors=True)
    return target
