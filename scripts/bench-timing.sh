# Shared by the bench-*.sh scripts (sourced, not run): wall-clock timing of one run and the
# median of several.

# Seconds between two `date +%s%N` readings, e.g. `0.0512`.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", (b - a) / 1e9 }'; }

# The median of the numbers given as arguments.
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
