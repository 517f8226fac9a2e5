// Allure Report 3 settings for `make report` (scripts/allure-report.sh runs it from the repository root).
// singleFile: one index.html that opens from file:// (the default multi-file report needs a server).
export default {
  name: "gateway-contracts",
  output: "reports/allure-report",
  // Trend across runs: a JSONL file kept between runs (the nightly CI job caches reports/).
  historyPath: "reports/allure-history.jsonl",
  plugins: {
    awesome: {
      options: {
        singleFile: true,
        reportName: "gateway-contracts",
        reportLanguage: "en",
        groupBy: ["feature", "story"],
      },
    },
  },
};
