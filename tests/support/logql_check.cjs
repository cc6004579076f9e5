// Parse LogQL queries with Grafana's own grammar (@grafana/lezer-logql, the parser Grafana's
// query editor uses). stdin: JSON list of queries. stdout: JSON list of
// {errors: [offsets of error nodes], matchers: [[label, operator, value], ...]}.
// argv[2]: the node_modules directory that holds @grafana/lezer-logql (.ci/tools.sh installs it).
const path = require('path');
const { parser } = require(path.resolve(process.argv[2], '@grafana/lezer-logql'));

let input = '';
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const results = JSON.parse(input).map((query) => {
    const tree = parser.parse(query);
    const errors = [];
    const matchers = [];
    tree.iterate({
      enter: (node) => {
        if (node.type.isError) errors.push(node.from);
        if (node.name === 'Matcher' && node.node.parent && node.node.parent.name === 'Matchers') {
          const parts = [];
          for (let child = node.node.firstChild; child; child = child.nextSibling) {
            parts.push(query.slice(child.from, child.to));
          }
          matchers.push(parts);
        }
      },
    });
    return { errors, matchers };
  });
  process.stdout.write(JSON.stringify(results));
});
