"""The workload of quickening_study.py: a small n-body simulation, the shape
of pyperformance's nbody (hot float arithmetic in two measured functions).

    python quickening_nbody.py ROUNDS STEPS

With SWAP=1 in the environment, after the first round the functions get
fresh copies of their code objects, named as another file so that ccov
leaves them unmeasured: what 3.12 would give back if measured code were
swapped for fresh code, which ccov never does (the program would see it).
"""

import os
import sys

PI = 3.14159265358979323
SOLAR_MASS = 4 * PI * PI
DAYS_PER_YEAR = 365.24


def make_bodies():
    return [
        [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], SOLAR_MASS],
        [[4.84, -1.16, -0.10], [0.00166 * DAYS_PER_YEAR, 0.00769 * DAYS_PER_YEAR, -0.0000690 * DAYS_PER_YEAR], 0.000954 * SOLAR_MASS],
        [[8.34, 4.12, -0.40], [-0.00276 * DAYS_PER_YEAR, 0.00499 * DAYS_PER_YEAR, 0.0000230 * DAYS_PER_YEAR], 0.000285 * SOLAR_MASS],
        [[12.89, -15.11, -0.22], [0.00296 * DAYS_PER_YEAR, 0.00237 * DAYS_PER_YEAR, -0.0000296 * DAYS_PER_YEAR], 0.0000436 * SOLAR_MASS],
        [[15.37, -25.91, 0.17], [0.00268 * DAYS_PER_YEAR, 0.00162 * DAYS_PER_YEAR, -0.0000951 * DAYS_PER_YEAR], 0.0000515 * SOLAR_MASS],
    ]


def pairs_of(bodies):
    return [(bodies[i], bodies[j]) for i in range(len(bodies)) for j in range(i + 1, len(bodies))]


def advance(dt, steps, bodies, pairs):
    for _ in range(steps):
        for ((x1, y1, z1), v1, m1), ((x2, y2, z2), v2, m2) in pairs:
            dx = x1 - x2
            dy = y1 - y2
            dz = z1 - z2
            mag = dt * ((dx * dx + dy * dy + dz * dz) ** (-1.5))
            b1m = m1 * mag
            b2m = m2 * mag
            v1[0] -= dx * b2m
            v1[1] -= dy * b2m
            v1[2] -= dz * b2m
            v2[0] += dx * b1m
            v2[1] += dy * b1m
            v2[2] += dz * b1m
        for (r, [vx, vy, vz], _mass) in bodies:
            r[0] += dt * vx
            r[1] += dt * vy
            r[2] += dt * vz


def energy(bodies, pairs):
    e = 0.0
    for ((x1, y1, z1), _v1, m1), ((x2, y2, z2), _v2, m2) in pairs:
        dx = x1 - x2
        dy = y1 - y2
        dz = z1 - z2
        e -= (m1 * m2) / ((dx * dx + dy * dy + dz * dz) ** 0.5)
    for (_r, [vx, vy, vz], m) in bodies:
        e += m * (vx * vx + vy * vy + vz * vz) / 2.0
    return e


def main(rounds, steps):
    for round_number in range(rounds):
        bodies = make_bodies()
        pairs = pairs_of(bodies)
        advance(0.01, steps, bodies, pairs)
        total = energy(bodies, pairs)
        if round_number == 0 and os.environ.get("SWAP"):
            for function in (advance, energy, make_bodies, pairs_of):
                function.__code__ = function.__code__.replace(co_filename="<fresh copy>")
    return total


if __name__ == "__main__":
    print(f"{main(int(sys.argv[1]), int(sys.argv[2])):.9f}")
