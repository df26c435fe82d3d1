import sys
sys.path.insert(0, "plain_dir")
import helper

helper.used()
