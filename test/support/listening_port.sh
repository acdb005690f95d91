# Sourced by the shell tests: listening_port LOG prints the port a switchyard or switchyard-mock
# process started with `--listen 127.0.0.1:0` announced in LOG ("... listening on http://127.0.0.1:PORT"),
# waiting at most 5 s for the line; fails when it never comes.
listening_port() {
  local log="$1" port=""
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*listening.*127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$log" | head -1)
    [[ -n "$port" ]] && { echo "$port"; return 0; }
    sleep 0.05
  done
  echo "listening_port: nothing listening after 5 s; $log says: $(head -c 500 "$log")" >&2
  return 1
}
