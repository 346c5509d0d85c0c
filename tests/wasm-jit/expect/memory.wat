;; memory
;; block 0:
;;   0000000080000000  ld a2,8(a0)
;;   0000000080000004  lw a3,4(a0)
;;   0000000080000008  sb a2,0(a1)
;;   000000008000000c  sd a3,16(a1)
;;   0000000080000010  ret
(module
  (type (;0;) (func (param i32 i64 i32 i64 i64) (result i64)))
  (type (;1;) (func (param i32 i64 i32 i64 i64 i64) (result i32)))
  (type (;2;) (func (param i32)))
  (import "h" "load" (func $h.load (type 0) (param i32 i64 i32 i64 i64) (result i64)))
  (import "h" "store" (func $h.store (type 1) (param i32 i64 i32 i64 i64 i64) (result i32)))
  (import "e" "m" (memory (;0;) 0))
  (export "run" (func $run))
  (func $run (type 2) (param i32)
    (local i64 i64 i64 i64 i32 i32 i32 i64 i64 i64 i64 i64)
    block $B0
      block $B1
        local.get 0
        i64.load offset=264
        local.tee 4
        i64.const -4096
        i64.and
        local.set 1
        local.get 4
        i32.wrap_i64
        i32.const 4095
        i32.and
        local.set 5
        local.get 0
        i64.load offset=272
        local.set 2
        local.get 0
        i32.load offset=280
        local.set 7
        local.get 0
        i64.load offset=8
        local.set 8
        local.get 0
        i64.load offset=80
        local.set 9
        local.get 0
        i64.load offset=88
        local.set 10
        local.get 0
        i64.load offset=96
        local.set 11
        local.get 0
        i64.load offset=104
        local.set 12
        loop $B2
          block $B3
            block $B4
              local.get 5
              i32.const 1
              i32.shr_u
              br_table $B3 $B4
            end
            local.get 0
            local.get 1
            local.get 5
            i64.extend_i32_u
            i64.add
            i64.store offset=264
            local.get 0
            local.get 2
            i64.store offset=272
            br $B1
          end
          local.get 2
          i64.const 5
          i64.sub
          local.tee 2
          i64.const 0
          i64.lt_s
          if $B5
            local.get 0
            local.get 1
            i64.store offset=264
            local.get 0
            local.get 2
            i64.const 5
            i64.add
            i64.store offset=272
            br $B1
          end
          local.get 9
          i64.const 8
          i64.add
          local.set 3
          local.get 7
          local.get 3
          i64.const 8
          i64.shr_u
          i32.wrap_i64
          i32.const 16368
          i32.and
          i32.add
          local.tee 6
          i64.load
          local.get 3
          i64.const 7
          i64.add
          i64.const -4096
          i64.and
          i64.eq
          if $B6 (result i64)
            local.get 6
            i32.load offset=8
            local.get 3
            i32.wrap_i64
            i32.add
            i64.load
          else
            local.get 0
            local.get 3
            i32.const 1032
            local.get 1
            local.get 2
            i64.const 5
            i64.add
            call $h.load
            local.set 4
            local.get 0
            i32.load offset=1424
            local.tee 6
            if $B7
              local.get 6
              i32.const 2
              i32.eq
              if $B8
                local.get 4
                local.tee 11
                local.set 4
                local.get 0
                local.get 4
                i64.store offset=96
              end
              br $B1
            end
            local.get 4
          end
          local.set 11
          local.get 9
          i64.const 4
          i64.add
          local.set 3
          local.get 7
          local.get 3
          i64.const 8
          i64.shr_u
          i32.wrap_i64
          i32.const 16368
          i32.and
          i32.add
          local.tee 6
          i64.load
          local.get 3
          i64.const 3
          i64.add
          i64.const -4096
          i64.and
          i64.eq
          if $B9 (result i64)
            local.get 6
            i32.load offset=8
            local.get 3
            i32.wrap_i64
            i32.add
            i64.load32_s
          else
            local.get 0
            local.get 3
            i32.const 1044
            local.get 1
            i64.const 4
            i64.add
            local.get 2
            i64.const 4
            i64.add
            call $h.load
            local.set 4
            local.get 0
            i32.load offset=1424
            local.tee 6
            if $B10
              local.get 6
              i32.const 2
              i32.eq
              if $B11
                local.get 4
                local.tee 12
                local.set 4
                local.get 0
                local.get 4
                i64.store offset=104
              end
              br $B1
            end
            local.get 4
          end
          local.set 12
          local.get 11
          local.set 4
          local.get 10
          i64.const 0
          i64.add
          local.set 3
          local.get 7
          local.get 3
          i64.const 8
          i64.shr_u
          i32.wrap_i64
          i32.const 16368
          i32.and
          i32.add
          local.tee 6
          i64.load offset=16384
          local.get 3
          i64.const -4096
          i64.and
          i64.eq
          if $B12
            local.get 6
            i32.load offset=16392
            local.get 3
            i32.wrap_i64
            i32.add
            local.get 4
            i64.store8
          else
            local.get 0
            local.get 3
            i32.const 1025
            local.get 4
            local.get 1
            i64.const 8
            i64.add
            local.get 2
            i64.const 3
            i64.add
            call $h.store
            if $B13
              br $B1
            end
          end
          local.get 12
          local.set 4
          local.get 10
          i64.const 16
          i64.add
          local.set 3
          local.get 7
          local.get 3
          i64.const 8
          i64.shr_u
          i32.wrap_i64
          i32.const 16368
          i32.and
          i32.add
          local.tee 6
          i64.load offset=16384
          local.get 3
          i64.const 7
          i64.add
          i64.const -4096
          i64.and
          i64.eq
          if $B14
            local.get 6
            i32.load offset=16392
            local.get 3
            i32.wrap_i64
            i32.add
            local.get 4
            i64.store
          else
            local.get 0
            local.get 3
            i32.const 1032
            local.get 4
            local.get 1
            i64.const 12
            i64.add
            local.get 2
            i64.const 2
            i64.add
            call $h.store
            if $B15
              br $B1
            end
          end
          local.get 8
          i64.const 0
          i64.add
          i64.const -2
          i64.and
          local.set 3
          local.get 3
          local.get 1
          i64.sub
          local.tee 4
          i64.const 4096
          i64.lt_u
          if $B16
            local.get 4
            i32.wrap_i64
            local.set 5
            br $B2
          end
          local.get 0
          local.get 3
          i64.store offset=264
          local.get 0
          local.get 2
          i64.store offset=272
          br $B1
        end
        unreachable
      end
      local.get 0
      local.get 8
      i64.store offset=8
      local.get 0
      local.get 9
      i64.store offset=80
      local.get 0
      local.get 10
      i64.store offset=88
      local.get 0
      local.get 11
      i64.store offset=96
      local.get 0
      local.get 12
      i64.store offset=104
    end))
