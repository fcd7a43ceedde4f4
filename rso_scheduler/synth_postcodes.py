"""A generated data folder as a force would hold it: postcodes and a gazetteer, no coordinates.

`postcode_export(files)` turns the files of `synth.generate` into offenders.csv with `postcode`
and `address` instead of `lat, lon`, officers.csv with `base_postcode` instead of `base_lat,
base_lon`, and `gazetteer/onspd_synthetic.csv` in the ONS Postcode Directory's layout (pcd,
pcds, doterm, lat, long) that gives every postcode back its exact coordinates, so the same
team plans to the same roster either way (tests/test_cli_postcodes.py checks that).

The postcodes are in the `ZZ` area, which no real UK postcode uses: made up like the rest.
"""

from __future__ import annotations

import csv
import io

GAZETTEER_FILE = "gazetteer/onspd_synthetic.csv"
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters real inward codes use
_STREETS = ("Acacia Avenue", "Mill Lane", "Station Road", "Church Street", "The Green", "Park View")


def synthetic_postcode(n: int) -> str:
    """The n-th made-up postcode (`ZZ1 0AA`, ...): 400,000 distinct, all in the unused ZZ area."""
    letters = len(_INWARD_LETTERS)
    a, b = divmod(n % (letters * letters), letters)
    rest = n // (letters * letters)
    sector, district = rest % 10, rest // 10
    if district > 99:
        raise ValueError("more than 400,000 distinct places")
    return f"ZZ{district} {sector}{_INWARD_LETTERS[a]}{_INWARD_LETTERS[b]}"


def _rows(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]


def _text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def postcode_export(files: dict[str, str]) -> dict[str, str]:
    """The generated `files` with postcodes for coordinates, plus their gazetteer and policy."""
    codes: dict[tuple[str, str], str] = {}

    def code(lat: str, lon: str) -> str:
        return codes.setdefault((lat, lon), synthetic_postcode(len(codes)))

    out = dict(files)
    for name, lat_col, lon_col, pc_col in (
        ("officers.csv", "base_lat", "base_lon", "base_postcode"),
        ("offenders.csv", "lat", "lon", "postcode"),
    ):
        header, rows = _rows(files[name])
        i, j = header.index(lat_col), header.index(lon_col)
        new_header = header[:i] + [pc_col] + header[j + 1 :]
        new_rows = [row[:i] + [code(row[i], row[j])] + row[j + 1 :] for row in rows]
        if name == "offenders.csv":
            new_header.append("address")
            for k, row in enumerate(new_rows, 1):
                row.append(
                    f"{k % 97 + 1} {_STREETS[k % len(_STREETS)]}, {row[new_header.index('area')]}"
                )
        out[name] = _text(new_header, new_rows)
    gaz = [
        [pc.split()[0].ljust(4) + pc.split()[1], pc, "", lat, lon]
        for (lat, lon), pc in sorted(codes.items(), key=lambda kv: kv[1])
    ]
    out[GAZETTEER_FILE] = _text(["pcd", "pcds", "doterm", "lat", "long"], gaz)
    out["policy.toml"] = (
        files.get("policy.toml", "")
        + f'\n[locations]\ngazetteer = "{GAZETTEER_FILE}"  # postcodes -> coordinates, offline\n'
    )
    return out
