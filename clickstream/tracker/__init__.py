"""The browser tracker: `clickstream.js` and its minified build `clickstream.min.js`."""
