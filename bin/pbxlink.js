#!/usr/bin/env node
import '../dist/pbxlink.js';
