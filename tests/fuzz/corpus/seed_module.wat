;; The wasm_text_fuzz seed (make_seeds.sh assembles it with wat2wasm): every section, imports
;; of each kind, nested blocks, branches, memory, constants, tail calls and 0xFC operations.
(module
  (type $t (func (param i32) (result i32)))
  (import "h" "load" (func $h.load (param i64) (result i64)))
  (import "h" "mem" (memory 1 16))
  (import "h" "tbl" (table 2 funcref))
  (import "h" "g" (global (mut i64)))
  (table 1 funcref)
  (global $x i32 (i32.const 7))
  (func $f (export "f") (param i32) (result i32) (local i64 i32 f32 f64)
    block $out
      loop $top (result i32)
        local.get 0
        br_if $out
        i32.const -5
        br_table $out $top $out
      end
      drop
      i32.const 64
      i64.const 1
      call $h.load
      i64.store offset=8
      i32.const 0
      i64.load32_u offset=4 align=1
      global.set 0
      f32.const 0.1
      f64.const -1.5e300
      drop
      drop
    end
    local.get 0
    if (result i32)
      i32.const 2
    else
      i32.const 3
    end
    i32.extend8_s
    f32.convert_i32_s
    i32.trunc_sat_f32_u
    drop
    i32.const 0
    i32.const 0
    i32.const 0
    memory.copy
    i32.const 0
    i32.const 0
    i32.const 0
    memory.fill
    local.get 0
    i32.const 0
    return_call_indirect (type $t))
  (func $s)
  (export "mem" (memory 0))
  (start $s)
  (elem (i32.const 0) $f $s)
  (data (i32.const 16) "ab\00c")
  (data "passive"))
