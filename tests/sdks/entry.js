export { ClickstreamAnalytics, SendMode, PageType } from "@aws/clickstream-web";
