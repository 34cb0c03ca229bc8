#!/usr/bin/env python3
"""Pick ambulance trips for a greenwave co-simulation scenario.

Draws random pairs of edges open to emergency vehicles from a SUMO network
with a fixed seed and keeps those whose fastest route is within a length
range and crosses at least a number of distinct traffic lights (greenwave
makes one intersection per traffic light, so this is the number of
signalised intersections on the way). Prints the trips as the `trips:`
block of a scenario YAML (docs/sumo.md).

Needs SUMO's tools (sumolib): SUMO_HOME must point at SUMO's share
directory, e.g. /usr/share/sumo.
"""
import argparse
import os
import random
import sys

sys.path.append(os.path.join(os.environ.get("SUMO_HOME", "/usr/share/sumo"), "tools"))
import sumolib  # noqa: E402


def signals_on(path):
    """Distinct traffic lights crossed along path, in order."""
    seen = []
    for a, b in zip(path, path[1:]):
        conns = a.getConnections(b)
        tls = conns[0].getTLSID() if conns else ""
        if tls and tls not in seen:
            seen.append(tls)
    return seen


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("net")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=24)
    ap.add_argument("--min-length", type=float, default=1000, help="m")
    ap.add_argument("--max-length", type=float, default=4000, help="m")
    ap.add_argument("--min-signals", type=int, default=3)
    ap.add_argument("--min-edge-length", type=float, default=30,
                    help="first and last edges at least this long (m), so a vehicle has room to start and stop")
    ap.add_argument("--first-depart", type=float, default=300, help="s")
    ap.add_argument("--every", type=float, default=100, help="s between departures")
    ap.add_argument("--prefix", default="amb-")
    ap.add_argument("--max-attempts", type=int, default=20000)
    args = ap.parse_args()

    net = sumolib.net.readNet(args.net)
    edges = sorted((e for e in net.getEdges()
                    if e.getFunction() == "" and e.allows("emergency") and e.getLength() >= args.min_edge_length),
                   key=lambda e: e.getID())
    if len(edges) < 2:
        sys.exit("picktrips: fewer than two usable edges in " + args.net)
    rng = random.Random(args.seed)
    trips, used_starts = [], set()
    for _ in range(args.max_attempts):
        if len(trips) == args.count:
            break
        a, b = rng.choice(edges), rng.choice(edges)
        if a is b or a.getID() in used_starts:
            continue
        path, _ = net.getShortestPath(a, b, vClass="emergency")
        if not path:
            continue
        length = sum(e.getLength() for e in path)
        if not args.min_length <= length <= args.max_length:
            continue
        tls = signals_on(path)
        if len(tls) < args.min_signals:
            continue
        used_starts.add(a.getID())
        trips.append((a.getID(), b.getID(), length, len(tls)))
    if len(trips) < args.count:
        sys.exit("picktrips: found only %d of %d trips in %d attempts" % (len(trips), args.count, args.max_attempts))

    print("trips:")
    for i, (a, b, length, n) in enumerate(trips):
        print("  - id: %s%02d  # %.0f m, %d signals" % (args.prefix, i + 1, length, n))
        print("    from_edge: \"%s\"" % a)
        print("    to_edge: \"%s\"" % b)
        print("    depart_s: %g" % (args.first_depart + i * args.every))


if __name__ == "__main__":
    main()
