#!/usr/bin/env bash
# Issue 14, part 6: maf:2d and nsf:2d against realnvp:2d on the five generated 2-D sets, with the
# same steps, batch, learning rate and schedule, 3 seeds each, on the cpu backend; prints the
# mean held-out (test split) NLL table and writes the three density pictures of seed 1 side by
# side, one PNG per data set. Results are in docs/MAF.md.
#
#   flow-bench/compare/compare-2d.sh            # after: mvn -B -ntp -q install -DskipTests
#   STEPS=3000 THREADS=2 flow-bench/compare/compare-2d.sh
#
# On a shared machine it waits, before each data set and seed, until no Maven build runs and the
# 1-minute load is under 3 (QUIET=0 skips the wait). A run already done under OUT (its row.tsv) is
# reused, so an interrupted comparison continues where it stopped (FRESH=1 redoes everything).
set -euo pipefail
cd "$(dirname "$0")/../.."
F=./flows4j
STEPS=${STEPS:-2000}
BATCH=${BATCH:-256}
LR=${LR:-1e-3}
WARMUP=${WARMUP:-100}
THREADS=${THREADS:-1}
OUT=${OUT:-flow-bench/target/compare-2d}
PICTURES=${PICTURES:-docs/maf}
MODELS=${MODELS:-"realnvp:2d maf:2d nsf:2d"}
DATA=${DATA:-"two-moons 8gaussians checkerboard rings spirals"}
SEEDS=${SEEDS:-"1 2 3"}
COMMON=(--backend cpu --threads "$THREADS")

wait_quiet() {
    [ "${QUIET:-1}" = 0 ] && return
    while true; do
        local builds load
        builds=$(pgrep -fc 'plexus-classworlds' || true)
        load=$(cut -d' ' -f1 /proc/loadavg)
        if [ "$builds" = 0 ] && awk -v l="$load" 'BEGIN { exit !(l < 3) }'; then
            return
        fi
        echo "waiting for a quiet machine (maven builds: $builds, load: $load)" >&2
        sleep 60
    done
}

json() { # json FIELD < one JSON object
    sed -E "s/.*\"$1\":(\"[^\"]*\"|[^,}]+).*/\1/; s/\"//g"
}

mkdir -p "$OUT" "$PICTURES"
RESULTS=$OUT/results.tsv
printf 'data\tmodel\tseed\tparameters\ttest_nll_nats\ttrain_seconds\n' > "$RESULTS"
echo "flows4j 2-D comparison: steps $STEPS, batch $BATCH, lr $LR (cosine after $WARMUP warm-up steps), cpu, $THREADS thread(s)" >&2
for d in $DATA; do
    for s in $SEEDS; do
        done_before=1
        for m in $MODELS; do
            [ -s "$OUT/$d/${m/:/-}-s$s/row.tsv" ] || done_before=0
        done
        [ "$done_before" = 1 ] && [ "${FRESH:-0}" = 0 ] || wait_quiet
        for m in $MODELS; do
            run=$OUT/$d/${m/:/-}-s$s
            if [ -s "$run/row.tsv" ] && [ "${FRESH:-0}" = 0 ]; then # done by an earlier, interrupted call
                tee -a "$RESULTS" < "$run/row.tsv" >&2
                continue
            fi
            plots=()
            [ "$s" = "$(echo "$SEEDS" | cut -d' ' -f1)" ] || plots=(--no-plots)
            train=$($F train --model "$m" --data "$d" --seed "$s" --steps "$STEPS" --batch "$BATCH" --lr "$LR" \
                --lr-schedule cosine --warmup "$WARMUP" --out "$run" --force --json "${plots[@]}" "${COMMON[@]}" \
                2>/dev/null) || {
                # A diverged run (a non-finite loss: exit 1) is a result: it is counted, not averaged.
                echo "train $m on $d (seed $s) failed: $train" >&2
                grep -q 'the loss became' <<<"$train" || exit 1
                printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$d" "$m" "$s" "-" "diverged" "-" > "$run/row.tsv"
                tee -a "$RESULTS" < "$run/row.tsv" >&2
                continue
            }
            eval=$($F eval --checkpoint "$run/last.safetensors" --json "${COMMON[@]}" 2>/dev/null) \
                || { echo "eval of $run failed: $eval" >&2; exit 1; }
            printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$d" "$m" "$s" "$(json parameters <<<"$train")" \
                "$(json nll_nats <<<"$eval")" "$(json train_seconds <<<"$train")" > "$run/row.tsv"
            tee -a "$RESULTS" < "$run/row.tsv" >&2
        done
    done
    row=()
    for m in $MODELS; do
        row+=("$OUT/$d/${m/:/-}-s$(echo "$SEEDS" | cut -d' ' -f1)/density.png")
    done
    java -Djava.awt.headless=true -Dscale="${SCALE:-0.7}" flow-bench/compare/SideBySide.java "$PICTURES/$d.png" "${row[@]}"
done

# The table: mean (and standard deviation) over the seeds of the held-out NLL, nats.
awk -F'\t' -v models="$MODELS" -v data="$DATA" '
    NR > 1 && $5 == "diverged" { x[$1 SUBSEP $2]++ }
    NR > 1 && $5 != "diverged" { k = $1 SUBSEP $2; n[k]++; s[k] += $5; q[k] += $5 * $5; p[$2] = $4 }
    END {
        nm = split(models, M, " "); nd = split(data, D, " ");
        printf "| data set |"; for (j = 1; j <= nm; j++) printf " %s (%d params) |", M[j], p[M[j]]; printf "\n";
        printf "|---|"; for (j = 1; j <= nm; j++) printf "---:|"; printf "\n";
        for (i = 1; i <= nd; i++) {
            printf "| %s |", D[i];
            for (j = 1; j <= nm; j++) {
                k = D[i] SUBSEP M[j]; mean = s[k] / n[k]; var = q[k] / n[k] - mean * mean;
                printf " %.3f ± %.3f%s |", mean, sqrt(var > 0 ? var : 0),
                    x[k] ? sprintf(" (%d of %d diverged)", x[k], x[k] + n[k]) : "";
            }
            printf "\n";
        }
    }' "$RESULTS"
