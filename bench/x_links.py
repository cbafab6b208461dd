"""How long X's link rules take on adversarial texts (runs of labels), against ordinary
texts of the same length measured in the same run: the ratio says whether the scan stays
linear where a plain regular-expression scan took minutes."""

import statistics
import time

from networks.text import x_weighted_length

LENGTH = 10_000
ADVERSARIAL = {
    "dots": "a." * (LENGTH // 2),
    "cjk_dots": "日本." * (LENGTH // 3),
    "hyphens": "ab-" * (LENGTH // 3) + ".com",
}
ORDINARY = ("Collecte des sapins le 8 janvier sur www.ville.fr/sapins, merci ! " * 200)[:LENGTH]


def timed(text: str, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        x_weighted_length(text)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    baseline = timed(ORDINARY)
    print(f"baseline_ordinary_text: {baseline * 1000:.2f} ms")
    for name, text in ADVERSARIAL.items():
        seconds = timed(text)
        print(f"{name}: {seconds * 1000:.2f} ms")
        print(f"{name}_ratio: {seconds / baseline:.2f}")


if __name__ == "__main__":
    main()
