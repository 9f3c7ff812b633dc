/* The shortlist opens the print dialogue by itself, unless asked not to (?noprint). */
"use strict";
if (!/[?&]noprint\b/.test(location.search) && !navigator.webdriver) window.print();
