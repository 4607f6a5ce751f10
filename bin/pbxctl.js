#!/usr/bin/env node
import '../dist/pbxctl.js';
